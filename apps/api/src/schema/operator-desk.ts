import { PLATFORM_ORGANIZATION_ID } from '@concord/domain';
import type { DeadLetter, DeadLetterResolution } from '@concord/read-model';
import { OPERATOR_ROLE } from '../administration.ts';
import { builder } from '../builder.ts';
import type { ApiContext } from '../context.ts';
import { ActRefusedError } from '../human-acts.ts';

/**
 * The projector's dead letters, for the platform's operators: what it could not project in normal
 * running (set aside so the rest stayed live), what was done with each, and the acts that
 * resolve one: a retry short of a rebuild, or a skip with a reason. Partners never see them.
 */

/** The operator acting, by name; anyone else is refused (a dead letter is not theirs to see). */
function operatorOf(context: ApiContext): string {
  const { caller } = context;
  if (
    caller?.kind !== 'person' ||
    caller.organizationId !== PLATFORM_ORGANIZATION_ID ||
    !caller.roles.includes(OPERATOR_ROLE)
  )
    throw new ActRefusedError(
      'administration.operator-required',
      `Only the platform's operators (role ${OPERATOR_ROLE}) handle dead letters.`,
    );
  return caller.personId;
}

function projectorOf(context: ApiContext) {
  if (!context.deadLetters)
    throw new ActRefusedError(
      'operations.no-projector',
      'This server runs no projector: handle dead letters where the read model is projected.',
    );
  return context.deadLetters;
}

function reasonOf(reason: string): string {
  if (reason.trim() === '')
    throw new ActRefusedError('administration.reason-required', 'State why.');
  return reason.trim();
}

const DeadLetterRef = builder.objectRef<DeadLetter>('DeadLetter').implement({
  description: 'An event the projector could not project in normal running, set aside.',
  fields: (t) => ({
    position: t.string({
      description: "The event's position in the store: how retry and skip name it.",
      resolve: (letter) => String(letter.position),
    }),
    eventId: t.exposeID('eventId'),
    streamId: t.exposeString('streamId'),
    type: t.exposeString('type'),
    error: t.exposeString('error', { description: 'Why it failed (the latest attempt).' }),
    failedAt: t.field({ type: 'DateTime', resolve: (letter) => letter.failedAt }),
  }),
});

const DeadLetterResolutionRef = builder
  .objectRef<DeadLetterResolution>('DeadLetterResolution')
  .implement({
    description: 'What an operator did with a dead letter: who, when, why, and how it went.',
    fields: (t) => ({
      position: t.string({ resolve: (r) => String(r.position) }),
      eventId: t.exposeID('eventId'),
      streamId: t.exposeString('streamId'),
      type: t.exposeString('type'),
      action: t.string({
        description: '`retried`, `retry-failed` or `skipped`.',
        resolve: (r) => r.action,
      }),
      reason: t.exposeString('reason'),
      actor: t.exposeString('actor'),
      error: t.exposeString('error', { nullable: true }),
      resolvedAt: t.field({ type: 'DateTime', resolve: (r) => r.resolvedAt }),
    }),
  });

const DeadLetterRetryRef = builder
  .objectRef<{ resolved: DeadLetter[] }>('DeadLetterRetried')
  .implement({
    description: "The dead letter's stream projected again: these dead letters are resolved.",
    fields: (t) => ({
      resolved: t.field({ type: [DeadLetterRef], resolve: (retry) => retry.resolved }),
    }),
  });

builder.queryFields((t) => ({
  deadLetters: t.field({
    type: [DeadLetterRef],
    description: "The projector's dead letters, oldest first (operators only).",
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    resolve: async (_root, _args, context) => {
      operatorOf(context);
      return projectorOf(context).deadLetters();
    },
  }),
  deadLetterResolutions: t.field({
    type: [DeadLetterResolutionRef],
    description: 'What operators did with dead letters, newest first (operators only).',
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    args: { position: t.arg.string({ required: false }) },
    resolve: async (_root, args, context) => {
      operatorOf(context);
      return projectorOf(context).deadLetterResolutions(
        args.position ? positionOf(args.position) : undefined,
      );
    },
  }),
}));

function positionOf(position: string): bigint {
  if (!/^\d{1,19}$/.test(position))
    throw new ActRefusedError('operations.bad-position', `${position} is not a store position.`);
  return BigInt(position);
}

builder.mutationFields((t) => ({
  retryDeadLetter: t.field({
    type: DeadLetterRetryRef,
    description:
      "Project the dead letter's stream again (short of a rebuild), after its cause was fixed; every dead letter of that stream is then resolved. A retry that fails again changes nothing and is refused with the new error. Recorded with who and why.",
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    args: {
      position: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: async (_root, args, context) => {
      const actor = operatorOf(context);
      const reason = reasonOf(args.reason);
      const retry = await projectorOf(context).retryDeadLetter(positionOf(args.position), {
        actor,
        reason,
      });
      if (retry.status === 'unknown')
        throw new ActRefusedError(
          'operations.no-dead-letter',
          `No dead letter at ${args.position}.`,
        );
      if (retry.status === 'failed')
        throw new ActRefusedError('operations.retry-failed', `Still unprojectable: ${retry.error}`);
      return retry;
    },
  }),
  skipDeadLetter: t.field({
    type: DeadLetterRef,
    description:
      'Leave a dead letter unprojected for good, with the reason (the event stays in the store; a rebuild projects it again). Recorded with who and why.',
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    args: {
      position: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: async (_root, args, context) => {
      const actor = operatorOf(context);
      const reason = reasonOf(args.reason);
      const skipped = await projectorOf(context).skipDeadLetter(positionOf(args.position), {
        actor,
        reason,
      });
      if (!skipped)
        throw new ActRefusedError(
          'operations.no-dead-letter',
          `No dead letter at ${args.position}.`,
        );
      return skipped;
    },
  }),
}));

/** A record ingest set aside on the quarantine topic, as the operators' desk shows it. */
export interface QuarantinedRecordView {
  ref: string;
  quarantinedAt: string | undefined;
  from: string;
  eventId: string | undefined;
  eventType: string | undefined;
  source: string | undefined;
  reason: string | undefined;
  key: string | null;
  value: string | null;
  resolutions: {
    action: 'retried' | 'skipped';
    actor: string;
    reason: string;
    resolvedAt: Date;
  }[];
}

/** Ingest's quarantine, where this server can reach the broker (the platform with Kafka). */
export interface QuarantineService {
  list(): Promise<QuarantinedRecordView[]>;
  retry(
    ref: string,
    by: { actor: string; reason: string },
  ): Promise<
    | {
        status: 'sent';
        topic: string;
        partition: number;
        offset: string;
        record: QuarantinedRecordView;
      }
    | { status: 'unknown' }
    | { status: 'no-inbound-topic'; topic: string | undefined }
  >;
  skip(
    ref: string,
    by: { actor: string; reason: string },
  ): Promise<QuarantinedRecordView | undefined>;
}

function quarantineOf(context: ApiContext): QuarantineService {
  if (!context.quarantine)
    throw new ActRefusedError(
      'operations.no-quarantine',
      'This server reaches no Kafka broker: handle the quarantine where ingest runs (or with `concord quarantine`).',
    );
  return context.quarantine;
}

function refOf(ref: string): string {
  if (!/^\d{1,9}:\d{1,19}$/.test(ref))
    throw new ActRefusedError(
      'operations.bad-reference',
      `${ref} is not a quarantined record's <partition>:<offset>.`,
    );
  return ref;
}

const QuarantineResolutionRef = builder
  .objectRef<QuarantinedRecordView['resolutions'][number]>('QuarantineResolution')
  .implement({
    description: 'What an operator did with a quarantined record: who, when and why.',
    fields: (t) => ({
      action: t.string({ description: '`retried` or `skipped`.', resolve: (r) => r.action }),
      actor: t.exposeString('actor'),
      reason: t.exposeString('reason'),
      resolvedAt: t.field({ type: 'DateTime', resolve: (r) => r.resolvedAt }),
    }),
  });

const QuarantinedRecordRef = builder
  .objectRef<QuarantinedRecordView>('QuarantinedRecord')
  .implement({
    description:
      "A partner's record ingest set aside (it failed by itself while the store answered), as it came.",
    fields: (t) => ({
      ref: t.exposeString('ref', { description: '<partition>:<offset> on the quarantine topic.' }),
      quarantinedAt: t.string({ nullable: true, resolve: (r) => r.quarantinedAt ?? null }),
      from: t.exposeString('from', { description: 'The inbound topic/partition/offset.' }),
      eventId: t.string({ nullable: true, resolve: (r) => r.eventId ?? null }),
      eventType: t.string({ nullable: true, resolve: (r) => r.eventType ?? null }),
      source: t.string({ nullable: true, resolve: (r) => r.source ?? null }),
      reason: t.string({ nullable: true, resolve: (r) => r.reason ?? null }),
      key: t.exposeString('key', { nullable: true }),
      value: t.exposeString('value', { nullable: true, description: "The partner's record." }),
      resolutions: t.field({
        type: [QuarantineResolutionRef],
        description: 'Newest first; none while unhandled.',
        resolve: (r) => r.resolutions,
      }),
    }),
  });

builder.queryFields((t) => ({
  quarantine: t.field({
    type: [QuarantinedRecordRef],
    description: 'The records ingest set aside, oldest first per partition (operators only).',
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    resolve: async (_root, _args, context) => {
      operatorOf(context);
      return quarantineOf(context).list();
    },
  }),
}));

builder.mutationFields((t) => ({
  retryQuarantined: t.field({
    type: QuarantinedRecordRef,
    description:
      'Send a quarantined record to ingest again, exactly as the partner sent it, on its inbound topic; ingest answers it like any record. Recorded with who and why.',
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    args: {
      ref: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: async (_root, args, context) => {
      const actor = operatorOf(context);
      const retry = await quarantineOf(context).retry(refOf(args.ref), {
        actor,
        reason: reasonOf(args.reason),
      });
      if (retry.status === 'unknown')
        throw new ActRefusedError(
          'operations.not-quarantined',
          `No quarantined record at ${args.ref}.`,
        );
      if (retry.status === 'no-inbound-topic')
        throw new ActRefusedError(
          'operations.no-inbound-topic',
          `The record at ${args.ref} names no inbound topic (${retry.topic ?? 'none'}).`,
        );
      return retry.record;
    },
  }),
  skipQuarantined: t.field({
    type: QuarantinedRecordRef,
    description:
      'Leave a quarantined record unhandled for good (it stays on the topic, a log), recording who and why.',
    authScopes: { person: true },
    errors: { types: [ActRefusedError] },
    args: {
      ref: t.arg.string({ required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: async (_root, args, context) => {
      const actor = operatorOf(context);
      const skipped = await quarantineOf(context).skip(refOf(args.ref), {
        actor,
        reason: reasonOf(args.reason),
      });
      if (!skipped)
        throw new ActRefusedError(
          'operations.not-quarantined',
          `No quarantined record at ${args.ref}.`,
        );
      return skipped;
    },
  }),
}));
