import { checkpointSince } from '@concord/evidence';
import type { SignedCheckpoint } from '@concord/verifier';
import { GraphQLError } from 'graphql';
import { builder } from '../builder.ts';

type LogCheckpoint = SignedCheckpoint & { consistencyProof: string[] };

const LogCheckpointRef = builder.objectRef<LogCheckpoint>('LogCheckpoint').implement({
  description:
    "The platform's signed commitment to every event it has recorded (C2SP checkpoint text, Ed25519), with the proof that it extends a tree you kept. It reveals how many events the log holds and opaque hashes, nothing of any event.",
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
    consistencyProof: t.exposeStringList('consistencyProof', {
      description:
        'RFC 9162 consistency proof from the tree of `since` events to this one, base64 node hashes.',
    }),
  }),
});

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
      if (!context.platformKey)
        throw new GraphQLError('This server holds no platform key: it signs no checkpoints.', {
          extensions: { code: 'NO_PLATFORM_KEY' },
        });
      const since = args.since ?? 0;
      try {
        const { checkpoint, consistencyProof } = await checkpointSince(
          context.store,
          context.platformKey,
          since,
          context.clock().toISOString(),
        );
        return { ...checkpoint, consistencyProof };
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
