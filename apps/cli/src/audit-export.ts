import { writeFile } from 'node:fs/promises';
import { exportEvidenceBundle, renderAuditReportPdf, UnknownSubjectError } from '@concord/audit';
import { openAudited, platformSigningKey, type StoreOptions } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditExportOptions extends StoreOptions {
  batch: string;
  platformKey: string;
  out: string;
  since?: string[];
}

/**
 * `concord audit export`: the batch's evidence bundle, for an inspector to check offline with
 * `concord-verify` or the verifier page. The checkpoint is signed now with the platform's key;
 * the keyring (--platform-keyring) adds the keys that signed before a rotation.
 */
export async function auditExport(options: AuditExportOptions, io: CliIo): Promise<number> {
  const since = (options.since ?? []).map((size) => {
    if (!/^[1-9][0-9]*$/.test(size))
      throw new UsageError(
        `--since ${size}: the size of a checkpoint you kept (a positive number)`,
      );
    return Number(size);
  });
  const { key, keyring } = await platformSigningKey(options);
  const { store, checkpoints } = await openAudited(options);
  try {
    const latest = await checkpoints.latest();
    const bundle = await exportEvidenceBundle(store, options.batch, {
      platformKey: key,
      platformKeyring: keyring,
      ...(latest ? { checkpoint: latest } : {}),
      since,
      renderPdf: renderAuditReportPdf,
      ...(io.clock ? { clock: io.clock } : {}),
    }).catch((error: unknown) => {
      if (error instanceof UnknownSubjectError || error instanceof RangeError)
        throw new UsageError(error.message);
      throw error;
    });
    await writeFile(options.out, `${JSON.stringify(bundle)}\n`);
    const events = bundle.streams.reduce((sum, stream) => sum + stream.events.length, 0);
    io.stderr.write(
      `evidence bundle of batch ${options.batch}: ${bundle.streams.length} streams, ${events} events, checkpoint of ${bundle.checkpoint.treeSize} events, written to ${options.out}\n` +
        `verify it offline: concord-verify ${options.out}\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
