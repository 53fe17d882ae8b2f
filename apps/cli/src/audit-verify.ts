import {
  UnknownSubjectError,
  verifyAudit,
  type AuditOptions,
  type CheckpointCheck,
  type AuditScope,
  type AuditVerification,
  type BrokenLink,
} from '@concord/audit';
import { readFile } from 'node:fs/promises';
import type { SignedCheckpoint } from '@concord/verifier';
import { Presets, SingleBar } from 'cli-progress';
import { auditOptionsOf, checkpointToHold, openAudited, type StoreOptions } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface AuditVerifyOptions extends StoreOptions {
  /** A signed checkpoint the auditor kept (JSON file). */
  checkpoint?: string;
  batch?: string;
  deviation?: string;
  all?: boolean;
  progress: boolean;
  json?: boolean;
}

/** Exactly one of --batch, --deviation and --all. */
export function auditScopeOf(options: {
  batch?: string;
  deviation?: string;
  all?: boolean;
}): AuditScope {
  const named = [options.batch, options.deviation, options.all ? 'all' : undefined].filter(
    (value) => value !== undefined,
  );
  if (named.length !== 1)
    throw new UsageError('name one thing to verify: --batch <id>, --deviation <id> or --all');
  if (options.batch !== undefined) return { batchId: options.batch };
  if (options.deviation !== undefined) return { deviationId: options.deviation };
  return 'all';
}

export function describeScope(scope: AuditScope): string {
  if (scope === 'all') return 'the whole store';
  return 'batchId' in scope ? `batch ${scope.batchId}` : `deviation ${scope.deviationId}`;
}

/** The broken link in a few lines a person can act on. */
export function describeBrokenLink(link: BrokenLink): string[] {
  const lines = [
    `first broken link: stream ${link.streamId}, version ${link.streamVersion}${link.eventId ? `, event ${link.eventId}` : ''}`,
    `  ${link.check === 'hash-chain' ? 'hash chain' : 'signature'} (${link.problem}): ${link.detail}`,
  ];
  if (link.expected !== undefined || link.actual !== undefined)
    lines.push(`  expected ${link.expected ?? '(nothing)'}, found ${link.actual ?? '(nothing)'}`);
  return lines;
}

/** The verdict as a person reads it. */
export function verdictLines(verification: AuditVerification): string[] {
  const { signatures } = verification;
  const counts = `${verification.streams} streams, ${verification.events} events; ${signatures.valid} partner signatures valid, ${signatures.eSignatureOnly} e-signed through the API, ${signatures.platform} platform events`;
  const scope = describeScope(verification.scope);
  // Verified against itself; the checkpoint line that follows says whether the log still holds
  // what the platform signed.
  if (!verification.brokenLink)
    return [`VERIFIED ${scope}: hash chains intact and every origin proven (${counts})`];
  const lines = [
    `FAILED ${scope}: the record does not verify (${counts}; ${verification.problems.length} problem${verification.problems.length === 1 ? '' : 's'} found)`,
    ...describeBrokenLink(verification.brokenLink),
  ];
  const others = verification.problems.slice(1, 10);
  if (others.length > 0) {
    lines.push('other problems:');
    for (const problem of others)
      lines.push(
        `  ${problem.streamId} v${problem.streamVersion}${problem.eventId ? ` (${problem.eventId})` : ''}: ${problem.detail}`,
      );
  }
  return lines;
}

/**
 * `concord audit verify`: recomputes the hash chains in scope and checks every partner signature
 * against the key registered and valid when the event occurred. Exit 0 when the record verifies,
 * 1 when it does not (naming the first broken link), 2 when the command cannot run as asked.
 */
export async function auditVerify(options: AuditVerifyOptions, io: CliIo): Promise<number> {
  const scope = auditScopeOf(options);
  const audit = await auditOptionsOf(options);
  const checkpoint = options.checkpoint ? await readCheckpoint(options.checkpoint) : undefined;
  if (checkpoint && !audit.platformKeyring)
    throw new UsageError('--checkpoint needs the platform keyring (--platform-keyring <file>)');
  const { store, checkpoints } = await openAudited(options);
  const started = Date.now();
  const bar =
    scope === 'all' && options.progress && io.stderr.isTTY
      ? new SingleBar(
          {
            stream: io.stderr,
            format:
              'verifying |{bar}| {percentage}% | {value}/{total} | {rate} events/s | ETA {eta_formatted}',
            hideCursor: true,
            etaBuffer: 20,
          },
          Presets.shades_classic,
        )
      : undefined;
  try {
    const verification = await verifyAudit(store, scope, {
      ...(await checkpointToHold(audit, checkpoint, checkpoints)),
      onProgress: (progress) => {
        if (!bar) return;
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        const rate = Math.round(progress.eventsChecked / seconds);
        if (progress.eventsChecked === 0) bar.start(Number(progress.headPosition), 0, { rate });
        else bar.update(Number(progress.position), { rate });
      },
    });
    bar?.stop();
    io.stdout.write(
      options.json
        ? `${JSON.stringify(verification)}\n`
        : `${[
            ...verdictLines(verification),
            platformKeyringLine(audit),
            checkpointLine(verification.checkpoint, checkpoint ? 'you kept' : 'latest recorded'),
          ].join('\n')}\n`,
    );
    return verification.ok ? EXIT.ok : EXIT.rejected;
  } catch (error) {
    bar?.stop();
    if (error instanceof UnknownSubjectError) throw new UsageError(error.message);
    throw error;
  } finally {
    await store.close();
  }
}

/** Whether the platform's own signatures were part of the verdict. */
export function platformKeyringLine(audit: AuditOptions): string {
  return audit.platformKeyring
    ? `platform signatures checked against ${audit.platformKeyring.length} platform key${audit.platformKeyring.length === 1 ? '' : 's'} (${audit.platformKeyring.map((key) => key.keyId).join(', ')})`
    : 'platform signatures NOT checked: name the platform keyring with --platform-keyring <file>';
}

/** The log against a signed checkpoint (the one the auditor kept, or the latest recorded), in one line. */
export function checkpointLine(log: CheckpointCheck | null, which: string): string {
  if (!log)
    return 'CHECKPOINT not checked: no signed checkpoint recorded or given, or no platform keyring';
  return log.ok
    ? `CHECKPOINT held (${which}, ${log.timestamp}): the first ${log.treeSize} events are exactly those the platform signed (key ${log.keyId})`
    : `CHECKPOINT FAILED (${log.problem}; ${which}, ${log.timestamp}): ${log.detail}`;
}

async function readCheckpoint(file: string): Promise<SignedCheckpoint> {
  let value: Partial<SignedCheckpoint>;
  try {
    value = JSON.parse(await readFile(file, 'utf8')) as Partial<SignedCheckpoint>;
  } catch (error) {
    throw new UsageError(`${file}: not a checkpoint (${(error as Error).message})`);
  }
  const fields = ['origin', 'rootHash', 'timestamp', 'keyId', 'signature'] as const;
  if (!Number.isSafeInteger(value.treeSize) || fields.some((f) => typeof value[f] !== 'string'))
    throw new UsageError(
      `${file}: a checkpoint has origin, treeSize, rootHash, timestamp, keyId, signature`,
    );
  return value as SignedCheckpoint;
}
