import { writeFile } from 'node:fs/promises';
import { CheckpointLogError } from '@concord/evidence';
import { openAudited, platformSigningKey, type StoreOptions } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditCheckpointOptions extends StoreOptions {
  platformKey: string;
  out?: string;
}

/**
 * `concord audit checkpoint`: the platform's signed commitment to every event recorded so far
 * (how many, and the RFC 9162 root over their hashes in global order), recorded in its checkpoint
 * log (the latest one again when nothing was appended since). Whoever keeps it can later prove
 * that the store still holds exactly those events (`concord audit verify --checkpoint`).
 */
export async function auditCheckpoint(options: AuditCheckpointOptions, io: CliIo): Promise<number> {
  const { key, keyring } = await platformSigningKey(options);
  const { store, checkpoints } = await openAudited(options);
  try {
    // Signed into the platform's checkpoint log like the periodic ones: partners see it there.
    const signed = await checkpoints
      .signNext(store, key, keyring, io.clock)
      .catch((error: unknown) => {
        throw error instanceof CheckpointLogError ? new UsageError(error.message) : error;
      });
    const checkpoint = signed ?? (await checkpoints.latest());
    if (!checkpoint) throw new UsageError('the store holds no event: there is nothing to sign');
    const text = `${JSON.stringify(checkpoint, null, 2)}\n`;
    if (options.out) await writeFile(options.out, text);
    else io.stdout.write(text);
    if (options.out)
      io.stderr.write(`checkpoint of ${checkpoint.treeSize} events written to ${options.out}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
