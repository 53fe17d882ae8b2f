import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  busyCores,
  busyCoresDuring,
  describeBusyCores,
  processGroups,
  sampleCpu,
  type CpuSample,
} from './process-cpu.ts';

describe('processGroups', () => {
  const groupOf = processGroups({ ingest: 41, API: 42, absent: undefined });

  it('names given processes by id, PostgreSQL and Kafka by their command line', () => {
    expect(groupOf(41, 'node bench.ts --role ingest')).toBe('ingest');
    expect(groupOf(42, 'node bench.ts --role api')).toBe('API');
    expect(groupOf(7, 'postgres: 15/main: postgres concord 127.0.0.1(4711) idle ')).toBe(
      'PostgreSQL',
    );
    expect(groupOf(8, '/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main')).toBe(
      'PostgreSQL',
    );
    expect(
      groupOf(9, 'java -Xmx512m -cp /x/kafka_2.13-3.9.0.jar kafka.Kafka server.properties'),
    ).toBe('Kafka');
    expect(groupOf(10, 'node other.js')).toBeUndefined();
    expect(groupOf(11, 'java -jar something-else.jar')).toBeUndefined();
  });
});

describe('busyCores', () => {
  it('turns clock ticks into busy cores over the wall time between two samples', () => {
    const cores = busyCores(
      {
        machineBusy: 1_000,
        machineTotal: 10_000,
        processes: new Map([
          [1, { group: 'ingest', ticks: 500 }],
          [2, { group: 'PostgreSQL', ticks: 300 }],
          [3, { group: 'PostgreSQL', ticks: 900 }],
        ]),
        at: 0,
      },
      // One second later on a machine of `cores` cores at 100 ticks per core-second: process 3
      // has ended (not counted), process 4 has started (all its ticks counted).
      {
        machineBusy: 1_000 + 50 * coresOfThisMachine(),
        machineTotal: 10_000 + 100 * coresOfThisMachine(),
        processes: new Map([
          [1, { group: 'ingest', ticks: 575 }],
          [2, { group: 'PostgreSQL', ticks: 310 }],
          [4, { group: 'PostgreSQL', ticks: 10 }],
        ]),
        at: 1_000,
      },
    );
    expect(cores.machine).toBeCloseTo(cores.cores / 2, 2);
    expect(cores.groups).toEqual({ ingest: 0.75, PostgreSQL: 0.2 });
    expect(describeBusyCores(cores)).toBe(
      `${cores.machine} of ${cores.cores} busy (ingest 0.75, PostgreSQL 0.2)`,
    );
  });

  it('tells nothing of two samples within one clock tick', () => {
    const sample: CpuSample = {
      machineBusy: 10,
      machineTotal: 100,
      processes: new Map([[1, { group: 'ingest', ticks: 5 }]]),
      at: 7,
    };
    expect(busyCores(sample, sample)).toEqual({
      machine: 0,
      cores: coresOfThisMachine(),
      groups: {},
    });
  });

  it('says when it could not measure', () => {
    expect(describeBusyCores(undefined)).toBe('not measured (no /proc)');
  });
});

describe.runIf(process.platform === 'linux')('sampleCpu', () => {
  it("counts this process's own work in its group", async () => {
    const groupOf = processGroups({ self: process.pid });
    const before = (await sampleCpu(groupOf)) as CpuSample;
    const usageBefore = process.cpuUsage();
    const until = performance.now() + 300;
    let spin = 0;
    while (performance.now() < until) spin += Math.sqrt(spin + 1);
    const usage = process.cpuUsage(usageBefore);
    const after = (await sampleCpu(groupOf)) as CpuSample;
    const busy = busyCores(before, after);
    expect(spin).toBeGreaterThan(0);
    // At least the CPU time Node reports for the spin, however busy the machine is with other
    // work (within the ticks' resolution); at most that and the second sample's own reading.
    const seconds = (after.at - before.at) / 1000;
    const reported = (usage.user + usage.system) / 1e6;
    expect(busy.groups.self! * seconds).toBeGreaterThan(reported - 0.03);
    expect(busy.groups.self! * seconds).toBeLessThan(reported + 0.25);
    expect(busy.machine).toBeGreaterThanOrEqual(busy.groups.self! - 0.1);
  });
});

describe.runIf(process.platform === 'linux')('busyCoresDuring', () => {
  it("gives the run's result and the cores it kept busy", async () => {
    const { result, cores } = await busyCoresDuring(
      processGroups({ self: process.pid }),
      async () => {
        const until = performance.now() + 100;
        let spins = 0;
        while (performance.now() < until) spins++;
        return spins;
      },
    );
    expect(result).toBeGreaterThan(0);
    expect(cores?.groups.self).toBeGreaterThan(0);
  });
});

const coresOfThisMachine = () => availableParallelism();
