import { PostgresEventStore } from '@concord/event-store-postgres';
import { Projector } from '@concord/read-model';
import { pgDatabase, pgliteDatabase, type SqlDatabase } from '@concord/sql';
import { Presets, SingleBar } from 'cli-progress';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface ProjectionsRebuildOptions {
  databaseUrl?: string;
  pglite?: string;
  batchSize: number;
  progress: boolean;
  json?: boolean;
}

/**
 * Builds the read model again from position 0 beside the live one, which goes on serving, and
 * switches it in at once (memory stays bounded whatever the store's size), with a progress bar
 * showing the rate and the time left. Stops at the first event that cannot be projected and names
 * it (exit 1), leaving the live read model as it was.
 */
export async function projectionsRebuild(
  options: ProjectionsRebuildOptions,
  io: CliIo,
): Promise<number> {
  let db: SqlDatabase;
  if (options.pglite) db = await pgliteDatabase({ dataDir: options.pglite });
  else if (options.databaseUrl) db = pgDatabase({ connectionString: options.databaseUrl });
  else throw new UsageError('name the database: --database-url, $DATABASE_URL or --pglite <dir>');
  const store = await PostgresEventStore.open(db);
  const started = Date.now();
  const bar =
    options.progress && io.stderr.isTTY
      ? new SingleBar(
          {
            stream: io.stderr,
            format:
              'rebuilding |{bar}| {percentage}% | {value}/{total} | {rate} events/s | ETA {eta_formatted}',
            hideCursor: true,
            etaBuffer: 20,
          },
          Presets.shades_classic,
        )
      : undefined;
  try {
    const head = await store.headPosition();
    bar?.start(Number(head), 0, { rate: 0 });
    const result = await new Projector({ store, db, batchSize: options.batchSize }).rebuild(
      (progress) => {
        const seconds = (Date.now() - started) / 1000;
        bar?.update(Number(progress.position), {
          rate: Math.round(progress.projected / Math.max(seconds, 0.001)),
        });
      },
    );
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    const summary = {
      projected: result.projected,
      position: String(result.position),
      seconds: Math.round(seconds * 10) / 10,
      eventsPerSecond: Math.round(result.projected / Math.max(seconds, 0.001)),
    };
    io.stdout.write(
      options.json
        ? `${JSON.stringify(summary)}\n`
        : `rebuilt the read model: ${summary.projected} events up to position ${summary.position} in ${summary.seconds} s (${summary.eventsPerSecond} events/s)\n`,
    );
    return EXIT.ok;
  } catch (error) {
    bar?.stop();
    io.stderr.write(`rebuild stopped: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.rejected;
  } finally {
    await store.close();
  }
}
