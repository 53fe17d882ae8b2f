import { writeFile } from 'node:fs/promises';
import { loadPlatformKey, logTreeHead, PlatformKeyError, signCheckpoint } from '@concord/evidence';
import { openAuditedStore, type StoreOptions } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditCheckpointOptions extends StoreOptions {
  platformKey: string;
  out?: string;
}

/**
 * `concord audit checkpoint`: the platform's signed commitment to every event recorded so far
 * (how many, and the RFC 9162 root over their hashes in global order). Whoever keeps it can later
 * prove that the store still holds exactly those events (`concord audit verify --checkpoint`).
 */
export async function auditCheckpoint(options: AuditCheckpointOptions, io: CliIo): Promise<number> {
  const { key } = await loadPlatformKey({ CONCORD_PLATFORM_KEY_FILE: options.platformKey }).catch(
    (error: unknown) => {
      throw error instanceof PlatformKeyError ? new UsageError(error.message) : error;
    },
  );
  const store = await openAuditedStore(options);
  try {
    const head = await logTreeHead(store);
    const now = (io.clock ?? (() => new Date()))().toISOString();
    const checkpoint = signCheckpoint(head, key, now);
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
