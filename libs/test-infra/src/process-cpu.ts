import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';

/**
 * Where a benchmark's cores went: the CPU time of this machine and of named groups of its
 * processes (the services under test, PostgreSQL's server processes, Kafka's JVM), read from
 * Linux's /proc. A figure such as "visibility p99" means little without knowing whether the
 * machine was saturated and by whom; two samples give each group's busy cores in between.
 */
export interface CpuSample {
  /** Clock ticks the machine spent busy, and in all (both summed over its cores). */
  machineBusy: number;
  machineTotal: number;
  /** Each process of a group: its group and the clock ticks (user + system) it has used. */
  processes: Map<number, { group: string; ticks: number }>;
  at: number;
}

/** Decides which group a process belongs to, by its id and command line; undefined: none. */
export type ProcessGroups = (pid: number, commandLine: string) => string | undefined;

/** The usual groups: a server's processes by their command line, and given processes by id. */
export function processGroups(pids: Record<string, number | undefined>): ProcessGroups {
  const named = new Map(
    Object.entries(pids).flatMap(([name, pid]) => (pid === undefined ? [] : [[pid, name]])),
  );
  return (pid, commandLine) => {
    const name = named.get(pid);
    if (name !== undefined) return name;
    // Debian's server and each backend call themselves "postgres: …" or …/bin/postgres.
    if (/^postgres[: ]|\/bin\/postgres\b/.test(commandLine)) return 'PostgreSQL';
    if (/\bjava\b/.test(commandLine) && /kafka/i.test(commandLine)) return 'Kafka';
    return undefined;
  };
}

/** One sample, or undefined where /proc cannot be read (not Linux). */
export async function sampleCpu(groupOf: ProcessGroups): Promise<CpuSample | undefined> {
  let stat: string;
  try {
    stat = await readFile('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal …
  const ticks = stat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const processes = new Map<number, { group: string; ticks: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const group = groupOf(pid, commandLine);
      if (group === undefined) continue;
      const processStat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and
      // 13th of them.
      const fields = processStat.slice(processStat.lastIndexOf(')') + 2).split(' ');
      processes.set(pid, { group, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while it was read.
    }
  }
  return { machineBusy: total - idle, machineTotal: total, processes, at: performance.now() };
}

/** Busy cores between two samples: the machine's, out of how many, and each group's. */
export interface BusyCores {
  machine: number;
  cores: number;
  groups: Record<string, number>;
}

/**
 * Busy cores between two samples. A process that started in between counts all its ticks; one
 * that ended in between is not counted (its ticks left with it): the figures are for runs whose
 * processes live throughout (a server's pooled connections, the services under test).
 */
export function busyCores(before: CpuSample, after: CpuSample): BusyCores {
  const cores = availableParallelism();
  const round = (value: number) => Math.round(value * 100) / 100;
  const seconds = (after.at - before.at) / 1000;
  const machineTicks = after.machineTotal - before.machineTotal;
  // No tick between the two (a run shorter than a clock tick): nothing to tell.
  if (seconds <= 0 || machineTicks <= 0) return { machine: 0, cores, groups: {} };
  const machine = ((after.machineBusy - before.machineBusy) / machineTicks) * cores;
  // Clock ticks per second of one core: machine ticks over the wall time, per core.
  const ticksPerCoreSecond = machineTicks / cores / seconds;
  const ticksOf: Record<string, number> = {};
  for (const [pid, { group, ticks }] of after.processes)
    ticksOf[group] = (ticksOf[group] ?? 0) + ticks - (before.processes.get(pid)?.ticks ?? 0);
  const groups: Record<string, number> = {};
  for (const [group, ticks] of Object.entries(ticksOf))
    groups[group] = round(ticks / ticksPerCoreSecond / seconds);
  return { machine: round(machine), cores, groups };
}

/** `run`'s result, and the busy cores while it ran (undefined where /proc cannot be read). */
export async function busyCoresDuring<T>(
  groupOf: ProcessGroups,
  run: () => Promise<T>,
): Promise<{ result: T; cores: BusyCores | undefined }> {
  const before = await sampleCpu(groupOf);
  const result = await run();
  const after = await sampleCpu(groupOf);
  return { result, cores: before && after ? busyCores(before, after) : undefined };
}

/** "1.62 of 2 busy (ingest 0.53, PostgreSQL 0.55, …)", busiest first. */
export function describeBusyCores(busy: BusyCores | undefined): string {
  if (!busy) return 'not measured (no /proc)';
  const groups = Object.entries(busy.groups)
    .sort((a, b) => b[1] - a[1])
    .map(([name, cores]) => `${name} ${cores}`)
    .join(', ');
  return `${busy.machine} of ${busy.cores} busy (${groups})`;
}
