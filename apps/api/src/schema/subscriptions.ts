import type { ReadModelChange } from '@concord/read-model';
import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.ts';
import type { ApiContext } from '../context.ts';

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
 * The id in the change a subscription yielded (`changes.subscribe` yields read-model changes;
 * Pothos types a subscription field's payload as the subscription root).
 */
function changedId(payload: object): string {
  const { id } = payload as Partial<ReadModelChange>;
  if (typeof id !== 'string')
    throw new Error('defect: a subscription yielded no read-model change');
  return id;
}

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
      resolve: (query, change, _args, context) =>
        context.db.batch.findUnique({
          ...query,
          where: { id: changedId(change) },
        }),
    }),
    readinessChanged: t.prismaField({
      type: 'Batch',
      nullable: true,
      authScopes: { member: true },
      description: "A batch's release readiness (its blockers) changed.",
      subscribe: (_root, _args, context) =>
        context.changes.subscribe(subscriberOrganization(context), 'readiness'),
      resolve: (query, change, _args, context) =>
        context.db.batch.findUnique({
          ...query,
          where: { id: changedId(change) },
        }),
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
      resolve: (query, change, _args, context) =>
        context.db.deviation.findUnique({
          ...query,
          where: { id: changedId(change) },
        }),
    }),
  }),
});
