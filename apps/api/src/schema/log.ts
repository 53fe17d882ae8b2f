import {
  checkpointOf,
  checkpointSince,
  inclusionIn,
  readLog,
  type LogSnapshot,
  type PlatformKey,
} from '@concord/evidence';
import type { SignedCheckpoint, SignedReceipt } from '@concord/verifier';
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';
import { organizationOf, type ApiContext } from '../context.ts';
import { HistoryEntryRef } from './audit.ts';

type LogCheckpoint = { checkpoint: SignedCheckpoint; consistencyProof: string[] };

const SignedCheckpointRef = builder.objectRef<SignedCheckpoint>('SignedLogCheckpoint').implement({
  description:
    "The platform's signed commitment to the first `treeSize` events of its log (C2SP checkpoint text, Ed25519). It reveals how many events the log holds and an opaque hash, nothing of any event.",
  fields: (t) => ({
    origin: t.exposeString('origin'),
    treeSize: t.exposeInt('treeSize'),
    rootHash: t.exposeString('rootHash', { description: 'RFC 9162 root hash, base64.' }),
    timestamp: t.exposeString('timestamp', {
      description: 'When it was signed (RFC 3339), exactly as in the signed text.',
    }),
    keyId: t.exposeString('keyId', { description: 'The platform key that signed it.' }),
    signature: t.exposeString('signature', {
      description: 'Ed25519 over the checkpoint text (origin, size, root, timestamp line), base64.',
    }),
  }),
});

const LogCheckpointRef = builder.objectRef<LogCheckpoint>('LogCheckpoint').implement({
  description:
    'A fresh checkpoint of the whole log, with the proof that it extends a tree you kept.',
  fields: (t) => ({
    checkpoint: t.field({ type: SignedCheckpointRef, resolve: (answer) => answer.checkpoint }),
    consistencyProof: t.exposeStringList('consistencyProof', {
      description:
        'RFC 9162 consistency proof from the tree of `since` events to this one, base64 node hashes.',
    }),
  }),
});

/** The key checkpoints are signed with; a server without one offers none. */
function platformKeyOf(context: ApiContext): PlatformKey {
  if (!context.platformKey)
    throw new GraphQLError('This server holds no platform key: it signs no checkpoints.', {
      extensions: { code: 'NO_PLATFORM_KEY' },
    });
  return context.platformKey;
}

builder.queryFields((t) => ({
  logCheckpoint: t.field({
    type: LogCheckpointRef,
    authScopes: { member: true },
    description:
      'A fresh checkpoint of the whole log; keep it, and ask again later with `since` its size to prove the log only grew.',
    args: {
      since: t.arg.int({ description: 'The size of a checkpoint you kept. @default 0' }),
    },
    resolve: async (_root, args, context) => {
      const key = platformKeyOf(context);
      const since = args.since ?? 0;
      try {
        return await checkpointSince(context.store, key, since, context.clock().toISOString());
      } catch (error) {
        if (error instanceof RangeError)
          throw new GraphQLError(`No checkpoint of ${since} events exists: ${error.message}.`, {
            extensions: { code: 'BAD_USER_INPUT' },
          });
        throw error;
      }
    },
  }),
}));

type LogInclusion = {
  leafIndex: number;
  treeSize: number;
  proof: string[];
  checkpoint: SignedCheckpoint | null;
};

const LogInclusionRef = builder.objectRef<LogInclusion>('LogInclusion').implement({
  description:
    "The proof that the log's tree of `treeSize` events includes this event (RFC 9162): its leaf is SHA-256(0x00 || the event's hash), at `leafIndex`.",
  fields: (t) => ({
    leafIndex: t.exposeInt('leafIndex'),
    treeSize: t.exposeInt('treeSize'),
    proof: t.exposeStringList('proof', { description: 'Audit path, base64 node hashes.' }),
    checkpoint: t.field({
      type: SignedCheckpointRef,
      nullable: true,
      description: 'A fresh signed checkpoint of that tree; null when you named a kept size.',
      resolve: (inclusion) => inclusion.checkpoint,
    }),
  }),
});

/** The proof reaches an event only through a Batch or Deviation the caller may already see. */
builder.objectField(HistoryEntryRef, 'inclusion', (t) =>
  t.field({
    type: LogInclusionRef,
    description:
      'The proof that the log includes this event: against a checkpoint you kept (`treeSize`), or a fresh one signed now.',
    args: { treeSize: t.arg.int({ description: 'The size of a checkpoint you kept.' }) },
    resolve: async (entry, args, context) => {
      const key = platformKeyOf(context);
      const { log, fresh } = await logOfRequest(context, key);
      const inclusion = inclusionIn(log, BigInt(entry.globalPosition), args.treeSize ?? undefined);
      if (!inclusion)
        throw new GraphQLError(
          `The checkpoint of ${args.treeSize} events does not include this event.`,
          { extensions: { code: 'BAD_USER_INPUT' } },
        );
      return { ...inclusion, checkpoint: args.treeSize == null ? fresh : null };
    },
  }),
);

/**
 * The log read, and a fresh checkpoint of it signed, once per request: a page of history entries
 * asking for their proofs shares them instead of reading the whole log per entry.
 */
const logsOfRequests = new WeakMap<
  ApiContext,
  Promise<{ log: LogSnapshot; fresh: SignedCheckpoint }>
>();
function logOfRequest(context: ApiContext, key: PlatformKey) {
  let found = logsOfRequests.get(context);
  if (!found) {
    found = readLog(context.store).then((log) => ({
      log,
      fresh: checkpointOf(log.leaves, key, context.clock().toISOString()),
    }));
    logsOfRequests.set(context, found);
  }
  return found;
}

/** The checkpoints the platform stored; a server without its checkpoint log offers none. */
function checkpointLogOf(context: ApiContext) {
  if (!context.checkpoints)
    throw new GraphQLError('This server keeps no checkpoint log.', {
      extensions: { code: 'NO_CHECKPOINT_LOG' },
    });
  return context.checkpoints;
}

/** A page of stored checkpoints: 20 unless asked, at most 100, as every list. */
const CHECKPOINT_PAGE = { default: 20, max: 100 };

builder.queryFields((t) => ({
  logCheckpoints: t.field({
    type: [SignedCheckpointRef],
    authScopes: { member: true },
    description:
      'The checkpoints the platform signed (periodically, as the log grows) and stored, by size: the tree heads it published to every partner. Keep them: a later checkpoint, a bundle or `logCheckpoint(since:)` must extend each. Page on with `after` the last size you got.',
    args: {
      after: t.arg.int({ description: 'Only checkpoints of more events than this. @default 0' }),
      first: t.arg.int({ description: 'How many, smallest first. @default 20, at most 100' }),
    },
    resolve: async (_root, args, context) => {
      const log = checkpointLogOf(context);
      const after = args.after ?? 0;
      const first = args.first ?? CHECKPOINT_PAGE.default;
      if (after < 0)
        throw new GraphQLError('after is the size of a checkpoint: 0 or more.', {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      if (first < 1 || first > CHECKPOINT_PAGE.max)
        throw new GraphQLError(`first is between 1 and ${CHECKPOINT_PAGE.max}.`, {
          extensions: { code: 'BAD_USER_INPUT' },
        });
      return log.list({ afterTreeSize: after, limit: first });
    },
  }),
  latestLogCheckpoint: t.field({
    type: SignedCheckpointRef,
    nullable: true,
    authScopes: { member: true },
    description:
      'The latest checkpoint the platform signed and stored (what the audit views hold the store to); null before the first.',
    resolve: async (_root, _args, context) => (await checkpointLogOf(context).latest()) ?? null,
  }),
}));

const ReceiptRef = builder.objectRef<SignedReceipt>('PlatformReceipt').implement({
  description:
    "The platform's signed answer to one event your organization sent (concord.receipt.v1): an accepted event's names its stored hash and global position (prove its inclusion later against any checkpoint), a refusal's its code. Keep `signed` as it is: it is what the signature covers.",
  fields: (t) => ({
    status: t.exposeString('status', { description: 'accepted or rejected.' }),
    source: t.exposeString('source'),
    id: t.exposeString('id'),
    organizationId: t.exposeString('organizationId', {
      description: 'The organization whose channel carried the event: yours.',
    }),
    eventId: t.string({
      nullable: true,
      description: 'The id it is stored under (accepted only).',
      resolve: (receipt) => (receipt.status === 'accepted' ? receipt.eventId : null),
    }),
    code: t.string({
      nullable: true,
      description: "The rejection's stable code (rejected only).",
      resolve: (receipt) => (receipt.status === 'rejected' ? receipt.code : null),
    }),
    issuedAt: t.exposeString('issuedAt', {
      description: 'When the platform signed it (RFC 3339).',
    }),
    keyId: t.exposeString('keyId', { description: 'The platform key that signed it.' }),
    signed: t.field({
      type: 'JSON',
      description:
        'The whole receipt exactly as signed, signature included: check it with @concord/verifier (`verifyReceiptSignature`, `verifyReceiptInclusion`).',
      resolve: (receipt) => receipt,
    }),
  }),
});

builder.queryFields((t) => ({
  receipt: t.field({
    type: ReceiptRef,
    nullable: true,
    authScopes: { member: true },
    description:
      "The platform's signed receipt for an event your organization sent (by its CloudEvents source and id), on any channel: Kafka partners get no receipt for an accepted event on the wire, and fetch it here. Null when your organization sent no such event, or its answer carries no receipt; another organization's events are never found.",
    args: {
      source: t.arg.string({ required: true }),
      id: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, context) => {
      if (!context.outcomes)
        throw new GraphQLError('This server keeps no receipts.', {
          extensions: { code: 'NO_OUTCOME_LOG' },
        });
      // Keyed by the caller's own channel: the same source and id sent by another organization
      // is another key, and never read.
      const key = {
        channelOrganizationId: organizationOf(context),
        source: args.source,
        id: args.id,
      };
      const [answer] = (await context.outcomes.find([key])).values();
      return answer?.outcome.receipt ?? null;
    },
  }),
}));
