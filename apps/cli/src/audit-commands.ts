import { Option, type Command } from 'commander';
import { auditReportCommand, type AuditReportOptions } from './audit-report.ts';
import { auditCheckpoint, type AuditCheckpointOptions } from './audit-checkpoint.ts';
import { auditExport, type AuditExportOptions } from './audit-export.ts';
import { auditVerify, type AuditVerifyOptions } from './audit-verify.ts';
import type { CliIo } from './io.ts';

/** `concord audit verify` and `concord audit report`: the auditor's commands. */
export function registerAuditCommands(
  concord: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const audit = concord
    .command('audit')
    .description('auditors: verify the record, report a batch as it stood')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });
  /** The options with what the environment supplies for those not given. */
  const withEnvironment = <Options extends { databaseUrl?: string; platformKeyring?: string }>(
    options: Options,
  ): Options => {
    const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
    const platformKeyring = options.platformKeyring ?? io.env.CONCORD_PLATFORM_KEYRING_FILE;
    return {
      ...options,
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(platformKeyring ? { platformKeyring } : {}),
    };
  };

  audit
    .command('verify')
    .description(
      'recompute the hash chains and check every partner signature against the key valid when it was made; exit 0 verified, 1 failed',
    )
    .option('--batch <id>', 'a batch, its linked deviations and the streams they rest on')
    .option('--deviation <id>', 'a deviation and the streams it rests on')
    .option('--all', 'every event of the store, page by page')
    .option('--database-url <url>', 'the event store (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .option(
      '--platform-keyring <file>',
      "the platform's public keys, to check what it recorded (default: $CONCORD_PLATFORM_KEYRING_FILE)",
    )
    .option(
      '--checkpoint <file>',
      'a checkpoint you kept (concord audit checkpoint): the store must still hold exactly the events it signed, in order; needs the keyring',
    )
    .option('--no-progress', 'never show a progress bar')
    .option('--json', 'print the verification as one JSON object')
    .action(async (options: AuditVerifyOptions) => {
      done(await auditVerify(withEnvironment(options), io));
    });

  audit
    .command('checkpoint')
    .description(
      "operators: sign the platform's commitment to every event recorded so far (size, RFC 9162 root), for partners and auditors to keep",
    )
    .requiredOption('--platform-key <file>', "the platform's key (CONCORD_PLATFORM_KEY_FILE)")
    .option(
      '--platform-keyring <file>',
      "the platform's earlier keys, which signed the checkpoints before (default: $CONCORD_PLATFORM_KEYRING_FILE)",
    )
    .option('--out <file>', 'write the checkpoint here (default: standard output)')
    .option('--database-url <url>', 'the event store (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .action(async (options: AuditCheckpointOptions) => {
      done(await auditCheckpoint(withEnvironment(options), io));
    });

  audit
    .command('export')
    .description(
      "a batch's evidence bundle: every event it rests on with its signatures, the platform's keys, inclusion proofs against a checkpoint signed now, and the report; checked offline by concord-verify",
    )
    .requiredOption('--batch <id>', 'the batch')
    .requiredOption('--out <file>', 'write the bundle (JSON) here')
    .requiredOption('--platform-key <file>', "the platform's key (CONCORD_PLATFORM_KEY_FILE)")
    .option(
      '--platform-keyring <file>',
      "the platform's earlier keys (default: $CONCORD_PLATFORM_KEYRING_FILE)",
    )
    .option(
      '--since <size...>',
      'sizes of checkpoints a partner kept: the bundle proves the log only grew since each',
    )
    .option('--database-url <url>', 'the event store (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .action(async (options: AuditExportOptions) => {
      done(await auditExport(withEnvironment(options), io));
    });

  audit
    .command('report')
    .description('the audit report of a batch: one self-contained HTML page, JSON or PDF')
    .requiredOption('--batch <id>', 'the batch')
    .option('--as-of <time>', 'the batch as it stood at this instant (RFC 3339)')
    .addOption(
      new Option('--timeline <which>', 'the clock --as-of is read on (default: recorded)').choices([
        'occurred',
        'recorded',
      ]),
    )
    .option('--out <file>', 'write the report here (default: standard output)')
    .addOption(
      new Option('--format <format>', 'the report format (pdf needs --out on a terminal)')
        .choices(['html', 'json', 'pdf'])
        .default('html'),
    )
    .option('--database-url <url>', 'the event store (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .option(
      '--platform-keyring <file>',
      "the platform's public keys, to check what it recorded (default: $CONCORD_PLATFORM_KEYRING_FILE)",
    )
    .action(async (options: AuditReportOptions) => {
      done(await auditReportCommand(withEnvironment(options), io));
    });
}
