import { userInfo } from 'node:os';
import { PostgresEventStore } from '@concord/event-store-postgres';
import { Projector, type DeadLetter } from '@concord/read-model';
import { databaseOf } from './audit-store.ts';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface DeadLettersOptions {
  databaseUrl?: string;
  pglite?: string;
  json?: boolean;
}

async function openStore(options: DeadLettersOptions) {
  const db = await databaseOf(options);
  const store = await PostgresEventStore.open(db);
  return { store, projector: new Projector({ store, db }) };
}

const asJson = (letter: DeadLetter) => ({
  position: String(letter.position),
  eventId: letter.eventId,
  streamId: letter.streamId,
  type: letter.type,
  error: letter.error,
  failedAt: letter.failedAt.toISOString(),
});

/**
 * The events the projector could not project in normal running (it set them aside and went on),
 * oldest first: where each is in the store, what it is and why it failed.
 */
export async function deadLettersList(options: DeadLettersOptions, io: CliIo): Promise<number> {
  const { store, projector } = await openStore(options);
  try {
    const letters = await projector.deadLetters();
    if (options.json) {
      for (const letter of letters) io.stdout.write(`${JSON.stringify(asJson(letter))}\n`);
      return EXIT.ok;
    }
    if (letters.length === 0) {
      io.stdout.write('no dead letters: every event was projected\n');
      return EXIT.ok;
    }
    for (const letter of letters)
      io.stdout.write(
        `${letter.position}\t${letter.failedAt.toISOString()}\t${letter.type}\t${letter.streamId}\t${letter.eventId}\n  ${letter.error}\n`,
      );
    io.stdout.write(
      `${letters.length} dead letter(s); inspect one with \`concord dead-letters show <position>\`\n`,
    );
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

function positionOf(position: string): bigint {
  if (!/^[1-9][0-9]{0,18}$/.test(position))
    throw new UsageError(`${position} is not a position in the store (a positive whole number)`);
  return BigInt(position);
}

/** Who resolves a dead letter and why: both required, both recorded with the act. */
export interface ResolveOptions extends DeadLettersOptions {
  reason: string;
  /** @default the operating-system user, as `os:<name>` */
  operator?: string;
}

function resolverOf(options: ResolveOptions) {
  if (options.reason.trim() === '') throw new UsageError('--reason must say why');
  return { actor: options.operator ?? `os:${userInfo().username}`, reason: options.reason.trim() };
}

/**
 * `concord dead-letters retry`: projects the dead letter's stream again, short of a rebuild (after
 * its cause was fixed); every dead letter of that stream is then resolved. A retry that fails
 * again changes nothing and says why. Recorded with who and why either way.
 */
export async function deadLettersRetry(
  position: string,
  options: ResolveOptions,
  io: CliIo,
): Promise<number> {
  const at = positionOf(position);
  const by = resolverOf(options);
  const { store, projector } = await openStore(options);
  try {
    const retry = await projector.retryDeadLetter(at, by);
    if (retry.status === 'unknown') {
      io.stderr.write(`no dead letter at position ${position}\n`);
      return EXIT.rejected;
    }
    if (retry.status === 'failed') {
      io.stderr.write(`still unprojectable: ${retry.error}\n`);
      return EXIT.rejected;
    }
    for (const letter of retry.resolved)
      io.stdout.write(`resolved ${letter.position}\t${letter.type}\t${letter.eventId}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** `concord dead-letters skip`: leaves one unprojected for good, with the reason (recorded). */
export async function deadLettersSkip(
  position: string,
  options: ResolveOptions,
  io: CliIo,
): Promise<number> {
  const at = positionOf(position);
  const by = resolverOf(options);
  const { store, projector } = await openStore(options);
  try {
    const skipped = await projector.skipDeadLetter(at, by);
    if (!skipped) {
      io.stderr.write(`no dead letter at position ${position}\n`);
      return EXIT.rejected;
    }
    io.stdout.write(`skipped ${skipped.position}\t${skipped.type}\t${skipped.eventId}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** One dead letter beside the event it holds, as the store recorded it. */
export async function deadLettersShow(
  position: string,
  options: DeadLettersOptions,
  io: CliIo,
): Promise<number> {
  positionOf(position);
  const { store, projector } = await openStore(options);
  try {
    const letter = (await projector.deadLetters()).find(
      (candidate) => candidate.position === BigInt(position),
    );
    if (!letter) {
      io.stderr.write(
        `no dead letter at position ${position} (\`concord dead-letters list\` lists them)\n`,
      );
      return EXIT.rejected;
    }
    const [event] = await store.readAll({ after: letter.position - 1n, maxCount: 1 });
    const stored =
      event?.globalPosition === letter.position
        ? {
            id: event.id,
            streamId: event.streamId,
            streamVersion: event.streamVersion,
            type: event.type,
            recordedAt: event.recordedAt,
            metadata: event.metadata,
            data: event.data,
          }
        : null;
    io.stdout.write(`${JSON.stringify({ deadLetter: asJson(letter), event: stored }, null, 2)}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
