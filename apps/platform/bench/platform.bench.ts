// The embedded platform as a newcomer meets it, measured:
//   cold start: `npm start`'s process on a fresh data folder, and again on the same folder (the
//     median of three restarts), from spawn to the first GraphQL answer with a demo token; the
//     ceiling, measured in the same run, is PGlite alone opening the same kind of folder (the
//     part no platform code can avoid);
//   soak: the platform with its demo feed for --minutes (default 60), RSS sampled every 10 s;
//     reported as start/end/max RSS and the growth over the second half, per hour.
// Options: --minutes N (soak length; 0 skips the soak), --pace demo|fast, --out FILE.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pgliteDatabase } from '@concord/sql';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    pace: { type: 'string', default: 'demo' },
    out: {
      type: 'string',
      default: fileURLToPath(new URL('../artifacts/bench/platform.json', import.meta.url)),
    },
  },
});
/** Restarts measured on the existing folder (the figure is their median). */
const RESTARTS = 3;
// The process `npm start` runs once its set-up is done, with the same Node settings.
const startEmbedded = fileURLToPath(new URL('../../../tools/start-embedded.sh', import.meta.url));

interface Started {
  child: ChildProcess;
  graphqlUrl: string;
  token: string;
  answeredMs: number;
}

/** Spawns the start command and waits for the first GraphQL answer with the banner's token. */
async function start(dataDir: string, demo: boolean): Promise<Started> {
  const began = performance.now();
  const child = spawn(
    'bash',
    [
      startEmbedded,
      '--data',
      dataDir,
      '--port',
      '0',
      '--log-level',
      'warn',
      '--demo-pace',
      values.pace!,
      ...(demo ? [] : ['--no-demo']),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      // This Node, whatever the PATH of the caller.
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` },
    },
  );
  let banner = '';
  child.stdout!.on('data', (chunk: Buffer) => (banner += chunk.toString()));
  for (;;) {
    const url = /GraphiQL\s+(\S+)/.exec(banner)?.[1];
    const token = /TOKEN=(\S+)/.exec(banner)?.[1];
    if (url && (token || !demo)) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query: token ? '{ batches { totalCount } }' : '{ __typename }' }),
      });
      if (response.ok)
        return {
          child,
          graphqlUrl: url,
          token: token ?? '',
          answeredMs: performance.now() - began,
        };
    }
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const root = await mkdtemp(join(tmpdir(), 'concord-platform-bench-'));
try {
  // Ceiling: PGlite alone creating, then reopening, a persisted folder (as the platform opens it).
  let t = performance.now();
  const bare = await pgliteDatabase({ dataDir: join(root, 'bare') });
  const pgliteCreateMs = performance.now() - t;
  await bare.close();
  t = performance.now();
  await (await pgliteDatabase({ dataDir: join(root, 'bare') })).close();
  const pgliteReopenMs = performance.now() - t;

  const dataDir = join(root, 'data');
  const fresh = await start(dataDir, true);
  await stop(fresh.child);
  // Restarts on the folder the first start left: the median of three, so one slow moment of the
  // machine (another process's disk writes) does not decide the figure; all three are kept.
  const restartsMs: number[] = [];
  let again: Started | undefined;
  for (let restart = 0; restart < RESTARTS; restart++) {
    if (again) await stop(again.child);
    again = await start(dataDir, true);
    restartsMs.push(Math.round(again.answeredMs));
  }
  if (!again) throw new Error('no restart was measured');
  const existingFolderMs = [...restartsMs].sort((a, b) => a - b)[Math.floor(RESTARTS / 2)]!;
  const coldStart = {
    freshFolderMs: Math.round(fresh.answeredMs),
    existingFolderMs,
    restartsMs,
    ceilingPgliteCreateMs: Math.round(pgliteCreateMs),
    ceilingPgliteReopenMs: Math.round(pgliteReopenMs),
    ratioFresh: +(fresh.answeredMs / pgliteCreateMs).toFixed(2),
    ratioExisting: +(existingFolderMs / pgliteReopenMs).toFixed(2),
    targetMs: 5_000,
  };
  console.log('cold start', coldStart);

  const minutes = Number(values.minutes);
  const samples: { minute: number; rssMb: number }[] = [];
  if (minutes > 0) {
    const began = Date.now();
    while (Date.now() - began < minutes * 60_000) {
      samples.push({ minute: (Date.now() - began) / 60_000, rssMb: await rssMb(again.child.pid!) });
      await new Promise((resolve) => setTimeout(resolve, 10_000));
    }
  }
  const { totalCount } = (
    (await (
      await fetch(again.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${again.token}` },
        body: JSON.stringify({ query: '{ batches { totalCount } }' }),
      })
    ).json()) as { data: { batches: { totalCount: number } } }
  ).data.batches;
  await stop(again.child);
  const secondHalf = samples.filter((sample) => sample.minute >= minutes / 2);
  const soak =
    samples.length < 2
      ? undefined
      : {
          minutes,
          pace: values.pace,
          startRssMb: Math.round(samples[0]!.rssMb),
          endRssMb: Math.round(samples.at(-1)!.rssMb),
          maxRssMb: Math.round(Math.max(...samples.map((s) => s.rssMb))),
          secondHalfGrowthMbPerHour:
            secondHalf.length < 2
              ? null
              : Math.round(
                  ((secondHalf.at(-1)!.rssMb - secondHalf[0]!.rssMb) /
                    (secondHalf.at(-1)!.minute - secondHalf[0]!.minute)) *
                    60,
                ),
          batchesVisibleToOneSponsor: totalCount,
        };
  if (soak) console.log('soak', soak);
  await mkdir(dirname(values.out!), { recursive: true });
  await writeFile(values.out!, `${JSON.stringify({ coldStart, soak, samples }, null, 2)}\n`);
  console.log(`wrote ${values.out}`);
} finally {
  await rm(root, { recursive: true, force: true });
}
