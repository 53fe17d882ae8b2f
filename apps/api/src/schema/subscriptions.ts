import type { Batch, Deviation } from '@concord/read-model';
import { contextOf, SpanKind, SpanStatusCode, tracer } from '@concord/telemetry';
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import type { PublishedChange } from '../change-feed.ts';
import type { ApiContext } from '../context.ts';
import { changedRow } from '../loaders.ts';

/**
 * The caller's organization for `subscribe`. Scope-auth checks a subscription field's
 * `authScopes` only when resolving each event (`authorizeOnSubscribe` is off), after `subscribe`
 * has run, so an anonymous subscriber is refused here, with scope-auth's sentence.
 */
function subscriberOrganization(context: ApiContext): string {
  if (!context.caller)
    throw createGraphQLError('Not authorized: sign in with a token of your organization.', {
      extensions: { code: 'UNAUTHORIZED' },
    });
  return context.caller.organizationId;
}

/**
 * The published change a subscription yielded (`changes.subscribe` yields them; Pothos types a
 * subscription field's payload as the subscription root).
 */
function published(payload: object): PublishedChange {
  const { change, chunk } = payload as Partial<PublishedChange>;
  if (!change || !chunk) throw new Error('defect: a subscription yielded no published change');
  return { change, chunk };
}

/**
 * Resolves a pushed change in a span of the trace its event began in (the partner's, or ingest's):
 * a trace follows one event from the partner's topic to every subscriber it reaches.
 */
async function traced<T>(
  payload: object,
  context: ApiContext,
  resolve: (change: PublishedChange) => Promise<T>,
): Promise<T> {
  const change = published(payload);
  const span = tracer.startSpan(
    'concord.graphql.push',
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'concord.change.kind': change.change.kind,
        'concord.subscriber.organization': context.caller?.organizationId ?? '',
      },
    },
    contextOf(change.change.traceparent),
  );
  try {
    return await resolve(change);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** The batch a change is about, read once per published chunk with its neighbours. */
const changedBatch = (payload: object, query: object, context: ApiContext) =>
  traced(payload, context, (change) =>
    changedRow(
      context,
      change,
      'batch',
      query,
      (db, find) => db.batch.findMany(find) as Promise<Batch[]>,
    ),
  );

/** The deviation a change is about, read once per published chunk with its neighbours. */
const changedDeviation = (payload: object, query: object, context: ApiContext) =>
  traced(payload, context, (change) =>
    changedRow(
      context,
      change,
      'deviation',
      query,
      (db, find) => db.deviation.findMany(find) as Promise<Deviation[]>,
    ),
  );

builder.subscriptionType({
  fields: (t) => ({
    batchChanged: t.prismaField({
      type: 'Batch',
      nullable: true,
      authScopes: { member: true },
      description: 'A batch you are party to changed (after the read model committed it).',
      args: { id: t.arg.id({ required: false, description: 'Only this batch.' }) },
      subscribe: (_root, args, context) =>
        context.changes.subscribe(
          subscriberOrganization(context),
          'batch',
          args.id && String(args.id),
        ),
      resolve: (query, payload, _args, context) => changedBatch(payload, query, context),
    }),
    readinessChanged: t.prismaField({
      type: 'Batch',
      nullable: true,
      authScopes: { member: true },
      description: "A batch's release readiness (its blockers) changed.",
      subscribe: (_root, _args, context) =>
        context.changes.subscribe(subscriberOrganization(context), 'readiness'),
      resolve: (query, payload, _args, context) => changedBatch(payload, query, context),
    }),
    deadlineWarned: t.prismaField({
      type: 'Deviation',
      nullable: true,
      authScopes: { member: true },
      description:
        'One of your deviations got a due-soon or overdue warning: its deadlines say which (a deviationChanged too).',
      subscribe: (_root, _args, context) =>
        context.changes.subscribe(subscriberOrganization(context), 'deadline'),
      resolve: (query, payload, _args, context) => changedDeviation(payload, query, context),
    }),
    deviationChanged: t.prismaField({
      type: 'Deviation',
      nullable: true,
      authScopes: { member: true },
      description: 'A deviation was raised or changed.',
      args: { id: t.arg.id({ required: false }) },
      subscribe: (_root, args, context) =>
        context.changes.subscribe(
          subscriberOrganization(context),
          'deviation',
          args.id && String(args.id),
        ),
      resolve: (query, payload, _args, context) => changedDeviation(payload, query, context),
    }),
  }),
});
