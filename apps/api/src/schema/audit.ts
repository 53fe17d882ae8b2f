import {
  batchHistory,
  describeCheckpointCheck,
  describeSignatureStatus,
  deviationHistory,
  verifyAudit,
  type AuditOptions,
  type AuditVerification,
  type BrokenLink,
  type CheckpointCheck,
  type HistoryEntry,
} from '@concord/audit';
import { resolveArrayConnection, type DefaultConnectionArguments } from '@pothos/plugin-relay';
import { builder } from '../builder.ts';
import type { ApiContext } from '../context.ts';
import { DEFAULT_PAGE_SIZE, FIELD_COSTS, MAX_PAGE_SIZE } from '../cost-limit.ts';
import { asSignature, SignatureManifestation } from './shared.ts';

// The auditor's views. Every field here hangs off a Batch or a Deviation, which the caller can
// only reach through row-level security: the record is read from the event store itself (the
// source of truth, not the projection) only for subjects the caller may already see.

type Entry = HistoryEntry;

const Who = builder.objectRef<Entry['who']>('AuditWho').implement({
  fields: (t) => ({
    personId: t.exposeID('personId'),
    printedName: t.exposeString('printedName', { nullable: true }),
    organizationId: t.exposeID('organizationId'),
    organizationName: t.exposeString('organizationName', { nullable: true }),
    role: t.exposeString('role', { nullable: true }),
  }),
});

const Authority = builder.objectRef<NonNullable<Entry['authority']>>('AuditAuthority').implement({
  description: 'The quality agreement (and its version) in force when the act was performed.',
  fields: (t) => ({
    agreementId: t.exposeID('agreementId'),
    version: t.exposeInt('version', { nullable: true }),
    effectiveFrom: t.field({
      type: 'DateTime',
      nullable: true,
      resolve: (a) => (a.effectiveFrom === null ? null : new Date(a.effectiveFrom)),
    }),
  }),
});

const ChangedValue = builder
  .objectRef<{ path: string; oldValue?: unknown; newValue?: unknown }>('AuditChangedValue')
  .implement({
    fields: (t) => ({
      path: t.exposeString('path', { description: 'A JSON pointer into the event data.' }),
      oldValue: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.oldValue ?? null }),
      newValue: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.newValue ?? null }),
    }),
  });

const ChangeMark = builder
  .objectRef<Entry['changedSinceFirstEntry'][number]>('AuditChangeMark')
  .implement({
    description: 'A value changed by a later correction since it was first entered.',
    fields: (t) => ({
      path: t.exposeString('path'),
      oldValue: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.oldValue ?? null }),
      newValue: t.field({ type: 'JSON', nullable: true, resolve: (c) => c.newValue ?? null }),
      correctionEventId: t.exposeID('correctionEventId'),
      recordedAt: t.field({ type: 'DateTime', resolve: (c) => new Date(c.recordedAt) }),
      reason: t.exposeString('reason'),
    }),
  });

const Correction = builder
  .objectRef<NonNullable<Entry['correction']>>('AuditCorrection')
  .implement({
    fields: (t) => ({
      correctedEventId: t.exposeID('correctedEventId'),
      correctedEventType: t.exposeString('correctedEventType', { nullable: true }),
      reason: t.exposeString('reason'),
      changes: t.field({ type: [ChangedValue], resolve: (c) => c.changes }),
    }),
  });

const LateEntry = builder.objectRef<NonNullable<Entry['lateEntry']>>('AuditLateEntry').implement({
  description: 'An event recorded well after it occurred (ALCOA+: records are contemporaneous).',
  fields: (t) => ({
    recordedAfterMinutes: t.exposeInt('recordedAfterMinutes'),
    description: t.exposeString('description'),
  }),
});

const SignatureStatus = builder.objectRef<Entry['signature']>('AuditSignatureStatus').implement({
  description: "The event's proof of origin, checked against the key valid at its time.",
  fields: (t) => ({
    status: t.exposeString('status'),
    description: t.string({ resolve: (s) => describeSignatureStatus(s) }),
  }),
});

export const HistoryEntryRef = builder.objectRef<Entry>('AuditHistoryEntry').implement({
  description: 'One event of the record: who, what, when (both clocks), why, on whose authority.',
  fields: (t) => ({
    eventId: t.exposeID('eventId'),
    streamVersion: t.exposeInt('streamVersion'),
    globalPosition: t.exposeString('globalPosition'),
    type: t.exposeString('type'),
    summary: t.exposeString('summary'),
    data: t.field({ type: 'JSON', description: 'As first entered.', resolve: (e) => e.data }),
    currentData: t.field({
      type: 'JSON',
      description: 'With every later correction applied.',
      resolve: (e) => e.currentData,
    }),
    who: t.field({ type: Who, resolve: (e) => e.who }),
    occurredAt: t.field({ type: 'DateTime', resolve: (e) => new Date(e.occurredAt) }),
    recordedAt: t.field({ type: 'DateTime', resolve: (e) => new Date(e.recordedAt) }),
    lateEntry: t.field({
      type: LateEntry,
      nullable: true,
      description:
        'Set when the event was recorded well after it occurred (more than an hour): a late entry, legitimate and shown as such.',
      resolve: (e) => e.lateEntry,
    }),
    why: t.exposeString('why', { nullable: true }),
    authority: t.field({ type: Authority, nullable: true, resolve: (e) => e.authority }),
    signature: t.field({ type: SignatureStatus, resolve: (e) => e.signature }),
    eSignature: t.field({
      type: SignatureManifestation,
      nullable: true,
      resolve: (e) => asSignature(e.eSignature),
    }),
    correction: t.field({ type: Correction, nullable: true, resolve: (e) => e.correction }),
    changedSinceFirstEntry: t.field({
      type: [ChangeMark],
      resolve: (e) => e.changedSinceFirstEntry,
    }),
    hash: t.exposeString('hash'),
    previousHash: t.exposeString('previousHash', { nullable: true }),
  }),
});

const BrokenLinkRef = builder.objectRef<BrokenLink>('AuditBrokenLink').implement({
  fields: (t) => ({
    streamId: t.exposeString('streamId'),
    streamVersion: t.exposeInt('streamVersion'),
    eventId: t.exposeString('eventId', { nullable: true }),
    check: t.exposeString('check'),
    detail: t.exposeString('detail'),
  }),
});

const CheckpointCheckRef = builder.objectRef<CheckpointCheck>('AuditCheckpointCheck').implement({
  description:
    'The store held to the latest checkpoint the platform signed and stored: whether the log still holds exactly the events that signed tree head covers, in order (a rewrite that recomputed every hash chain still fails here).',
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    treeSize: t.exposeInt('treeSize', { description: 'Events the checkpoint covers.' }),
    timestamp: t.exposeString('timestamp', {
      description: 'When the platform signed it (RFC 3339), exactly as in the signed text.',
    }),
    keyId: t.string({
      nullable: true,
      description: 'The platform key that signed it (when it verified).',
      resolve: (check) => (check.ok ? check.keyId : null),
    }),
    problem: t.string({
      nullable: true,
      description:
        'What does not hold: key-not-valid, signature, truncated or rewritten; null when it holds.',
      resolve: (check) => (check.ok ? null : check.problem),
    }),
    detail: t.string({
      nullable: true,
      description: 'The problem in words; null when it holds.',
      resolve: (check) => (check.ok ? null : check.detail),
    }),
    summary: t.string({
      description: 'The verdict in one sentence.',
      resolve: (check) => describeCheckpointCheck(check),
    }),
  }),
});

const VerificationRef = builder.objectRef<AuditVerification>('AuditVerification').implement({
  description:
    "Hash chains recomputed and partner signatures checked, now; and, where the server holds the platform's keyring and a stored checkpoint, the store held to the latest signed tree head.",
  fields: (t) => ({
    ok: t.exposeBoolean('ok'),
    streams: t.exposeInt('streams'),
    events: t.exposeInt('events'),
    signaturesChecked: t.int({ resolve: (v) => v.signatures.checked }),
    signaturesValid: t.int({ resolve: (v) => v.signatures.valid }),
    eSignatureOnly: t.int({ resolve: (v) => v.signatures.eSignatureOnly }),
    platformEvents: t.int({ resolve: (v) => v.signatures.platform }),
    brokenLink: t.field({ type: BrokenLinkRef, nullable: true, resolve: (v) => v.brokenLink }),
    anchors: t.field({
      type: 'JSON',
      description: 'The head hash of every stream verified (what anchors the record).',
      resolve: (v) => v.verifiedStreams,
    }),
    checkpoint: t.field({
      type: CheckpointCheckRef,
      nullable: true,
      description:
        'Against the latest checkpoint the platform signed (part of `ok`); null when none was stored yet or this server has no keyring to check its signature: then the record was verified against itself only.',
      resolve: (v) => v.checkpoint,
    }),
  }),
});

/**
 * What this request's verifications hold the store to: the keyring, and the latest checkpoint
 * the platform stored (read once per request, whatever number of subjects is verified).
 */
const auditOptionsOfRequests = new WeakMap<ApiContext, Promise<AuditOptions>>();
function heldAuditOptions(context: ApiContext): Promise<AuditOptions> {
  let found = auditOptionsOfRequests.get(context);
  if (!found) {
    found = (async () => {
      if (!context.audit.platformKeyring || !context.checkpoints) return context.audit;
      const checkpoint = await context.checkpoints.latest();
      return checkpoint ? { ...context.audit, checkpoint } : context.audit;
    })();
    auditOptionsOfRequests.set(context, found);
  }
  return found;
}

/** One page of a record's history, with the size of the whole record. */
export const HistoryConnection = builder.connectionObject(
  {
    type: HistoryEntryRef,
    name: 'AuditHistoryConnection',
    fields: (t) => ({
      totalCount: t.int({
        description: 'Events in the whole record.',
        resolve: (connection) => (connection as { totalCount?: number }).totalCount ?? 0,
      }),
    }),
  },
  { name: 'AuditHistoryEdge' },
);

/** A page of history entries (oldest first): 20 unless asked, at most 100, as every list. */
export function historyPage(entries: readonly HistoryEntry[], args: DefaultConnectionArguments) {
  return {
    ...resolveArrayConnection(
      { args, defaultSize: DEFAULT_PAGE_SIZE, maxSize: MAX_PAGE_SIZE },
      entries,
    ),
    totalCount: entries.length,
  };
}

builder.prismaObjectFields('Batch', (t) => ({
  history: t.connection(
    {
      type: HistoryEntryRef,
      description: "The batch's full record from the event store, oldest first, page by page.",
      extensions: { cost: FIELD_COSTS.history },
      resolve: async (batch, args, context) =>
        historyPage((await batchHistory(context.store, batch.id, context.audit)).entries, args),
    },
    HistoryConnection,
  ),
  verification: t.field({
    type: VerificationRef,
    description: "Verifies the batch's record (and its linked deviations') now.",
    extensions: { cost: FIELD_COSTS.verification },
    resolve: async (batch, _args, context) =>
      verifyAudit(context.store, { batchId: batch.id }, await heldAuditOptions(context)),
  }),
}));

builder.prismaObjectFields('Deviation', (t) => ({
  history: t.connection(
    {
      type: HistoryEntryRef,
      description: "The deviation's full record from the event store, oldest first, page by page.",
      extensions: { cost: FIELD_COSTS.history },
      resolve: async (deviation, args, context) =>
        historyPage(
          (await deviationHistory(context.store, deviation.id, context.audit)).entries,
          args,
        ),
    },
    HistoryConnection,
  ),
  verification: t.field({
    type: VerificationRef,
    extensions: { cost: FIELD_COSTS.verification },
    resolve: async (deviation, _args, context) =>
      verifyAudit(context.store, { deviationId: deviation.id }, await heldAuditOptions(context)),
  }),
}));
