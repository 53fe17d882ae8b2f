import { Command, CommanderError, Option } from 'commander';
import {
  admin,
  adminShow,
  agreementsDraft,
  agreementsShow,
  agreementsSign,
  DeliveryError,
  keysRegister,
  keysRevoke,
  type AdminAct,
  type ApiTargetOptions,
  type KeyChangeOptions,
} from './admin.ts';
import { registerAuditCommands } from './audit-commands.ts';
import {
  deadLettersList,
  deadLettersRetry,
  deadLettersShow,
  deadLettersSkip,
  type DeadLettersOptions,
  type ResolveOptions,
} from './dead-letters.ts';
import { EXIT, UsageError, processIo, type CliIo } from './io.ts';
import { platformKeyGenerate, type PlatformKeyGenerateOptions } from './keys-platform.ts';
import { keysGenerate } from './keys-generate.ts';
import { outcomes } from './outcomes.ts';
import { projectionsRebuild } from './projections-rebuild.ts';
import { publish } from './publish.ts';
import {
  quarantineList,
  quarantineRetry,
  quarantineShow,
  quarantineSkip,
  type QuarantineOptions,
} from './quarantine.ts';
import { registerQp, type RegisterQpOptions } from './register-qp.ts';
import { tokensMint } from './tokens-mint.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${value} is not a whole number`);
  return n;
}

function program(io: CliIo, done: (code: number) => void): Command {
  const concord = new Command('concord')
    .description('Concord partner tools: signing keys, publishing events over HTTP or Kafka')
    .showHelpAfterError('(concord --help lists the commands)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });

  const keys = concord
    .command('keys')
    .description('manage signing keys')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });
  keys
    .command('generate')
    .description(
      'create an Ed25519 signing key: writes <keyId>.private.pem (mode 0600), prints the public key and its registration',
    )
    .requiredOption('--org <id>', 'your organization id, as registered with Concord')
    .option('--key-id <id>', 'the key id (default: <org>:<YYYY-MM>)')
    .option('--out <dir>', 'where to write the private key', '.')
    .option('--valid-from <time>', 'from when the key signs (RFC 3339; default: now)')
    .option('--force', 'replace an existing key file')
    .option('--json', 'print one JSON object instead of text')
    .action(async (options: Parameters<typeof keysGenerate>[0]) => {
      done(await keysGenerate(options, io));
    });

  keys
    .command('platform')
    .description("the platform's own signing key (operators)")
    .command('generate')
    .description(
      "create the platform's Ed25519 key for a server (CONCORD_PLATFORM_KEY_FILE) and its public keyring; given an existing keyring, rotate",
    )
    .requiredOption('--out <file>', 'where to write the key (mode 0600)')
    .requiredOption(
      '--keyring <file>',
      'the public keyring to create, or to extend when it exists (rotation)',
    )
    .option('--valid-from <time>', 'from when the key signs (RFC 3339; default: now)')
    .option('--force', 'replace an existing key file')
    .option('--json', 'print one JSON object instead of text')
    .action(async (options: PlatformKeyGenerateOptions) => {
      done(await platformKeyGenerate(options, io));
    });

  concord
    .command('projections')
    .description('the read model (operators)')
    .exitOverride()
    .command('rebuild')
    .description(
      'build the read model again from position 0 beside the live one, then switch it in at once',
    )
    .option('--database-url <url>', 'the event store and read model (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .option('--batch-size <n>', 'events read per page', positiveInt, 2_000)
    .option('--no-progress', 'never show a progress bar')
    .option('--json', 'print the summary as one JSON object')
    .action(async (options: Parameters<typeof projectionsRebuild>[0]) => {
      const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
      done(await projectionsRebuild({ ...options, ...(databaseUrl ? { databaseUrl } : {}) }, io));
    });

  const deadLetters = concord
    .command('dead-letters')
    .description('events the projector could not project and set aside (operators)')
    .exitOverride();
  const withDatabase = (command: Command) =>
    command
      .option('--database-url <url>', 'the event store and read model (default: $DATABASE_URL)')
      .option('--pglite <dir>', 'the embedded data folder instead of a server');
  withDatabase(deadLetters.command('list').description('every dead letter, oldest first'))
    .option('--json', 'one JSON object per line')
    .action(async (options: DeadLettersOptions) => {
      const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
      done(await deadLettersList({ ...options, ...(databaseUrl ? { databaseUrl } : {}) }, io));
    });
  withDatabase(
    deadLetters
      .command('show')
      .description('one dead letter and the event it holds, as the store recorded it')
      .argument('<position>', "the event's position in the store"),
  ).action(async (position: string, options: DeadLettersOptions) => {
    const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
    done(
      await deadLettersShow(position, { ...options, ...(databaseUrl ? { databaseUrl } : {}) }, io),
    );
  });
  for (const [name, description, run] of [
    [
      'retry',
      "project the dead letter's stream again, short of a rebuild (after its cause was fixed)",
      deadLettersRetry,
    ],
    ['skip', 'leave it unprojected for good, saying why', deadLettersSkip],
  ] as const)
    withDatabase(
      deadLetters
        .command(name)
        .description(`${description}; recorded with who and why`)
        .argument('<position>', "the event's position in the store")
        .requiredOption('--reason <text>', 'why (recorded)')
        .option('--operator <name>', 'who (recorded; default: the operating-system user)'),
    ).action(async (position: string, options: ResolveOptions) => {
      const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
      done(await run(position, { ...options, ...(databaseUrl ? { databaseUrl } : {}) }, io));
    });

  concord
    .command('register')
    .description('registers kept from the record')
    .exitOverride()
    .command('qp')
    .description(
      'the QP register (EU GMP Annex 16) as CSV or JSON: every certification, or one organization’s partnerships with --org',
    )
    .option('--database-url <url>', 'the read model (default: $DATABASE_URL)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .option('--org <id>', 'only the partnerships of this organization, as it sees them')
    .option('--qualified-person <personId>', 'only the certifications this person signed')
    .option('--product <id>', 'only this product')
    .option('--certified-from <time>', 'certified at or after (RFC 3339)')
    .option('--certified-to <time>', 'certified at or before (RFC 3339)')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--out <file>', 'write here (default: standard output)')
    .action(async (options: RegisterQpOptions) => {
      const databaseUrl = options.databaseUrl ?? io.env.DATABASE_URL;
      done(await registerQp({ ...options, ...(databaseUrl ? { databaseUrl } : {}) }, io));
    });

  concord
    .command('tokens')
    .description('development sign-in tokens (the development issuer only)')
    .exitOverride()
    .command('mint')
    .description('print a bearer token for a person of an organization')
    .requiredOption('--org <id>', 'the organization')
    .requiredOption('--person <id>', 'the person (token subject)')
    .option('--role <role...>', 'roles held (qa, qc, production, qp, analyst, auditor)', [
      'analyst',
    ])
    .option('--name <printedName>', 'the printed name')
    .option('--expires <span>', 'lifetime, e.g. 12h or 30m', '12h')
    .option('--step-up', 'a 5-minute credential for one e-signature')
    .option(
      '--key-file <file>',
      "the development issuer's key (default: $CONCORD_DEV_ISSUER_KEY or .data/dev-issuer.json)",
    )
    .action(
      async (options: Omit<Parameters<typeof tokensMint>[0], 'keyFile'> & { keyFile?: string }) => {
        const keyFile = options.keyFile ?? io.env.CONCORD_DEV_ISSUER_KEY ?? '.data/dev-issuer.json';
        done(await tokensMint({ ...options, keyFile }, io));
      },
    );

  concord
    .command('publish')
    .description(
      'sign and send the events of an NDJSON file (one event, or {type, subject, data, ...}, per line)',
    )
    .argument('<file>', 'the NDJSON file')
    .requiredOption('--org <id>', 'your organization id')
    .requiredOption('--key <file>', 'your Ed25519 private key (PEM)')
    .requiredOption('--key-id <id>', 'the registered id of that key')
    .addOption(
      new Option('--http <baseUrl>', 'send to Concord over HTTP (batches)').conflicts('kafka'),
    )
    .option(
      '--api-key <key>',
      "your partner system's API key, what Concord's /ingest takes (default: $CONCORD_API_KEY)",
    )
    .option('--token <token>', 'a bearer token instead, for a gateway that takes one')
    .option('--path <path>', 'the ingest endpoint, relative to --http', 'ingest')
    .option('--kafka <brokers>', 'send to Concord over Kafka (host:port,...)')
    .option('--topic <topic>', 'the Kafka topic (default: concord.in.<org>)')
    .option('--source <urn>', 'source of lines that name none (default: urn:concord:<org>:cli)')
    .option('--actor <id>', 'actorid of lines that name none')
    .option('--batch-size <n>', 'events per request', positiveInt, 500)
    .option('--no-progress', 'never show a progress bar')
    .option('--dry-run', 'check and sign every line, send nothing')
    .option('--json', 'print the summary as one JSON object')
    .action(async (file: string, options: Parameters<typeof publish>[1]) => {
      const apiKey = options.apiKey ?? io.env.CONCORD_API_KEY;
      const token = options.token ?? io.env.CONCORD_TOKEN;
      done(
        await publish(
          file,
          { ...options, ...(apiKey ? { apiKey } : {}), ...(token ? { token } : {}) },
          io,
        ),
      );
    });

  concord
    .command('outcomes')
    .description(
      "follow Concord's answers on Kafka: accepted events and the platform's signed checkpoints (concord.out.<org>) and rejections (concord.rejections.<org>), one JSON line each",
    )
    .requiredOption('--org <id>', 'your organization id')
    .requiredOption('--kafka <brokers>', 'host:port,...')
    .option('--group <id>', 'the consumer group (default: concord-cli-<org>)')
    .option('--from-beginning', 'read from the start when the group has no offsets yet')
    .addOption(
      new Option('--only <which>', 'only one kind').choices([
        'events',
        'rejections',
        'checkpoints',
      ]),
    )
    .option('--topic-prefix <prefix>', 'the topic prefix', 'concord')
    .option('--max <n>', 'stop after n records', positiveInt)
    .action(async (options: Parameters<typeof outcomes>[0]) => {
      done(await outcomes(options, io));
    });

  const quarantine = concord
    .command('quarantine')
    .description('records ingest set aside on <prefix>.quarantine (operators)')
    .exitOverride();
  const onKafka = (command: Command) =>
    command
      .requiredOption('--kafka <brokers>', 'host:port,...')
      .option('--topic-prefix <prefix>', 'the topic prefix', 'concord');
  onKafka(
    quarantine.command('list').description('every quarantined record, with where from and why'),
  )
    .option('--json', 'one JSON object per line')
    .option('--database-url <url>', 'also show what operators did with each (their records)')
    .option('--pglite <dir>', 'the embedded data folder instead of a server')
    .action(async (options: QuarantineOptions) => done(await quarantineList(options, io)));
  onKafka(
    quarantine
      .command('show')
      .description("one quarantined record and the partner's record as it came")
      .argument('<ref>', '<partition>:<offset> on the quarantine topic, as `list` shows it'),
  ).action(async (ref: string, options: QuarantineOptions) =>
    done(await quarantineShow(ref, options, io)),
  );
  const withDatabaseUrl = (options: QuarantineOptions): QuarantineOptions => {
    const databaseUrl = options.databaseUrl ?? (options.pglite ? undefined : io.env.DATABASE_URL);
    return { ...options, ...(databaseUrl ? { databaseUrl } : {}) };
  };
  const recorded = (command: Command) =>
    command
      .option(
        '--database-url <url>',
        "where it is recorded: the platform's database (default: $DATABASE_URL)",
      )
      .option('--pglite <dir>', 'the embedded data folder instead of a server')
      .option('--operator <name>', 'who (recorded; default: the operating-system user)');
  recorded(
    onKafka(
      quarantine
        .command('retry')
        .description('send a quarantined record to ingest again, as the partner sent it')
        .argument('<ref>', '<partition>:<offset> on the quarantine topic, as `list` shows it'),
    ).option('--reason <text>', 'why (recorded, with a database)'),
  ).action(async (ref: string, options: QuarantineOptions) =>
    done(await quarantineRetry(ref, withDatabaseUrl(options), io)),
  );
  recorded(
    onKafka(
      quarantine
        .command('skip')
        .description('leave a quarantined record unhandled for good; recorded with who and why')
        .argument('<ref>', '<partition>:<offset> on the quarantine topic, as `list` shows it'),
    ).requiredOption('--reason <text>', 'why (recorded)'),
  ).action(async (ref: string, options: QuarantineOptions) =>
    done(await quarantineSkip(ref, withDatabaseUrl(options), io)),
  );

  registerAdminCommands(concord, keys, io, done);
  registerAuditCommands(concord, io, done);
  return concord;
}

/** Where Concord's API is and the credential to call it with. */
function onApi(command: Command): Command {
  return command
    .option('--api <url>', "Concord's API (default: $CONCORD_API_URL or http://127.0.0.1:4000)")
    .option('--token <token>', "a person's bearer token (default: $CONCORD_TOKEN)")
    .option('--api-key <key>', "a partner system's API key (default: $CONCORD_API_KEY)");
}

/** `concord admin …` and `concord keys register|revoke`: administration through the API. */
function registerAdminCommands(
  concord: Command,
  keys: Command,
  io: CliIo,
  done: (code: number) => void,
): void {
  const adminCommand = concord
    .command('admin')
    .description(
      'administer organizations, people, partner systems and API keys (operators, administrators)',
    )
    .exitOverride();
  type Options = ApiTargetOptions & { reason: string; json?: boolean } & Record<string, string>;
  const acts: [string, string, string[], string[], (args: string[], o: Options) => AdminAct][] = [
    [
      'register-organization',
      'register a sponsor, CDMO or testing lab (operators)',
      ['<org>'],
      ['--name <name>', '--kind <kind>'],
      ([org], o) => ({ act: 'register-organization', org: org!, name: o.name!, kind: o.kind! }),
    ],
    [
      'appoint-administrator',
      "make a person an organization's administrator",
      ['<org>', '<person>'],
      ['--printed-name <name>'],
      ([org, person], o) => ({
        act: 'appoint-administrator',
        org: org!,
        person: person!,
        printedName: o.printedName!,
      }),
    ],
    [
      'remove-administrator',
      "take a person's administration away",
      ['<org>', '<person>'],
      [],
      ([org, person]) => ({ act: 'remove-administrator', org: org!, person: person! }),
    ],
    [
      'grant-role',
      'grant a person a role (registering their printed name)',
      ['<org>', '<person>'],
      ['--role <role>', '--printed-name <name>'],
      ([org, person], o) => ({
        act: 'grant-role',
        org: org!,
        person: person!,
        role: o.role!,
        printedName: o.printedName!,
      }),
    ],
    [
      'revoke-role',
      'revoke a role (without roles, a person is deactivated)',
      ['<org>', '<person>'],
      ['--role <role>'],
      ([org, person], o) => ({ act: 'revoke-role', org: org!, person: person!, role: o.role! }),
    ],
    [
      'register-system',
      'register a partner system that calls Concord with API keys',
      ['<org>', '<system>'],
      ['--name <name>'],
      ([org, system], o) => ({ act: 'register-system', org: org!, system: system!, name: o.name! }),
    ],
    [
      'register-site',
      'register a plant, laboratory or warehouse',
      ['<org>', '<site>'],
      ['--name <name>', '--country <code>'],
      ([org, site], o) => ({
        act: 'register-site',
        org: org!,
        site: site!,
        name: o.name!,
        country: o.country!,
      }),
    ],
    [
      'register-product',
      'register a product (a sponsor’s, which agreements name)',
      ['<org>', '<product>'],
      ['--name <name>'],
      ([org, product], o) => ({
        act: 'register-product',
        org: org!,
        product: product!,
        name: o.name!,
      }),
    ],
    [
      'issue-api-key',
      'issue an API key to a partner system (printed once)',
      ['<org>', '<system>'],
      ['--expires <instant>'],
      ([org, system], o) => ({
        act: 'issue-api-key',
        org: org!,
        system: system!,
        expires: o.expires!,
        roles: (o.roles as unknown as string[] | undefined) ?? ['analyst'],
      }),
    ],
    [
      'revoke-api-key',
      'revoke an API key from now on',
      ['<org>', '<system>', '<key-id>'],
      [],
      ([org, system, keyId]) => ({
        act: 'revoke-api-key',
        org: org!,
        system: system!,
        keyId: keyId!,
      }),
    ],
  ];
  for (const [name, description, args, required, requestOf] of acts) {
    const command = onApi(adminCommand.command(name).description(description))
      .requiredOption('--reason <why>', 'why: recorded with the act')
      .option('--json', 'print what was recorded as JSON');
    for (const arg of args) command.argument(arg);
    for (const flag of required) command.requiredOption(flag);
    if (name === 'issue-api-key')
      command.option('--roles <role...>', 'what the key may see', ['analyst']);
    command.action(async (...received: unknown[]) => {
      const positional = received.slice(0, args.length) as string[];
      const options = received[args.length] as Options;
      done(await admin(requestOf(positional, options), options, io));
    });
  }
  onApi(
    adminCommand
      .command('show')
      .description('an organization as its administration sees it, as JSON')
      .argument('<org>'),
  ).action(async (org: string, options: ApiTargetOptions) =>
    done(await adminShow(org, options, io)),
  );

  const agreements = concord
    .command('agreements')
    .description('quality agreements: draft a version, read the draft, sign it as QA')
    .exitOverride();
  onApi(
    agreements
      .command('draft')
      .description("draft the next version (either party's administrator, or an operator)")
      .argument('<file>', 'the whole version as JSON (AgreementVersionInput)')
      .requiredOption('--reason <why>', 'the reason for change: recorded with the version')
      .option('--json', 'print what was recorded as JSON'),
  ).action(async (file: string, options: ApiTargetOptions & { reason: string; json?: boolean }) =>
    done(await agreementsDraft(file, options, io)),
  );
  onApi(
    agreements
      .command('show')
      .description('the version being drafted and which parties signed it (JSON)')
      .argument('<agreement>'),
  ).action(async (agreementId: string, options: ApiTargetOptions) =>
    done(await agreementsShow(agreementId, options, io)),
  );
  onApi(
    agreements
      .command('sign')
      .description("sign the drafted version as your organization's QA (e-signature, approval)")
      .argument('<agreement>')
      .requiredOption('--version <n>', 'the drafted version', positiveInt)
      .requiredOption('--draft-id <id>', 'the draft you read (`agreements show`)')
      .requiredOption('--printed-name <name>', 'your printed name as registered')
      .requiredOption(
        '--credential <token>',
        'the step-up token you re-entered your credential for',
      )
      .requiredOption('--reason <why>', 'why you sign')
      .option('--json', 'print what was recorded as JSON'),
  ).action(async (agreementId: string, options: Parameters<typeof agreementsSign>[1]) =>
    done(await agreementsSign(agreementId, options, io)),
  );

  const keyChange = (command: Command) =>
    onApi(command)
      .requiredOption('--org <id>', 'your organization')
      .requiredOption('--key-id <id>', 'the key registered or revoked')
      .requiredOption(
        '--proving-key-file <file>',
        'a key your organization holds now (PEM), which signs the statement',
      )
      .requiredOption('--proving-key-id <id>', 'its key id')
      .requiredOption('--reason <why>', 'why: recorded with the change')
      .option('--json', 'print what was recorded as JSON');
  keyChange(
    keys
      .command('register')
      .description('register a new signing key, proven by a key your organization holds (rotation)')
      .requiredOption('--key-file <file>', 'the new private key (as `keys generate` wrote it)')
      .option('--valid-from <instant>', 'from when it signs (default: now)'),
  ).action(
    async (options: KeyChangeOptions & { keyFile: string; keyId: string; validFrom?: string }) =>
      done(await keysRegister(options, io)),
  );
  keyChange(
    keys
      .command('revoke')
      .description(
        'revoke a signing key from a stated instant, proven by a key your organization holds',
      )
      .option('--revoked-at <instant>', 'from when it is refused (default: in 10 seconds)'),
  ).action(async (options: KeyChangeOptions & { keyId: string; revokedAt?: string }) =>
    done(await keysRevoke(options, io)),
  );
}

/** Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program(io, (c) => (code = c)).parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr.write(`concord: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof DeliveryError) {
      io.stderr.write(`concord: ${error.message}\n`);
      return EXIT.delivery;
    }
    io.stderr.write(`concord: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}
