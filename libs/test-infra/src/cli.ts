// Brings the test services up or down from a shell (tools/dev.sh services ...).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOCAL_KAFKA_SCRIPT } from './kafka.ts';
import { bringUpServices, describeTargets, targetsToEnv } from './services.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { 'env-file': { type: 'string' } },
});

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

switch (positionals[0]) {
  case 'up': {
    const services = await bringUpServices({ required: process.env.CI === 'true' });
    // Left running for the caller; `down` stops the local broker.
    const lines = Object.entries(targetsToEnv(services.targets)).map(
      ([key, value]) => `${key}=${shellQuote(value)}`,
    );
    if (values['env-file']) writeFileSync(values['env-file'], `${lines.join('\n')}\n`);
    else console.log(lines.map((line) => `export ${line}`).join('\n'));
    break;
  }
  case 'down':
    // Only the local broker is a long-lived process; containers end with the process that made them.
    execFileSync('bash', [LOCAL_KAFKA_SCRIPT, 'stop'], { stdio: 'inherit' });
    break;
  case 'status': {
    // Reports without starting anything: the local broker counts only if it is already running.
    let localBroker: string | undefined;
    try {
      const out = execFileSync('bash', [LOCAL_KAFKA_SCRIPT, 'status'], { encoding: 'utf8' });
      localBroker = /KAFKA_BROKERS=(\S+)/.exec(out)?.[1];
    } catch {
      localBroker = undefined;
    }
    const services = await bringUpServices(
      { required: false, log: () => undefined },
      {
        ...process.env,
        ...(localBroker ? { KAFKA_BROKERS: localBroker } : {}),
        CONCORD_KAFKA_UNAVAILABLE: 'no broker is running (`tools/dev.sh services up` starts one)',
      },
    );
    for (const line of describeTargets(services.targets)) console.log(line);
    await services.stop();
    break;
  }
  default:
    console.error('usage: cli.ts up [--env-file FILE] | down | status');
    process.exit(64);
}
