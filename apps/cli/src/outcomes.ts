import { subscribeOutcomes, type ReceivedRecord } from '@concord/partner-client';
import { EXIT, UsageError, type CliIo } from './io.ts';

export interface OutcomesOptions {
  org: string;
  kafka: string;
  group?: string;
  fromBeginning?: boolean;
  only?: 'events' | 'rejections' | 'checkpoints';
  topicPrefix: string;
  max?: number;
}

/** Aborted on Ctrl-C or SIGTERM (only while `outcomes` runs: publish keeps the default). */
function processSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  controller.signal.addEventListener('abort', () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  });
  return controller.signal;
}

const where = (record: ReceivedRecord) => ({
  topic: record.topic,
  partition: record.partition,
  offset: record.offset,
});

/**
 * Follows Concord's answers on Kafka (`<prefix>.out.<org>`: accepted events and the signed
 * checkpoints of the log; `<prefix>.rejections.<org>`) and prints each as one JSON line, until
 * interrupted or `max` records.
 */
export async function outcomes(options: OutcomesOptions, io: CliIo): Promise<number> {
  const brokers = options.kafka
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError('--kafka needs host:port[,host:port...]');
  const controller = new AbortController();
  const signal = io.signal ?? processSignal();
  signal.addEventListener('abort', () => controller.abort(), { once: true });
  let seen = 0;
  const print = (line: object) => {
    io.stdout.write(`${JSON.stringify(line)}\n`);
    if (options.max !== undefined && ++seen >= options.max) controller.abort();
  };
  const subscription = await subscribeOutcomes({
    brokers,
    organizationId: options.org,
    groupId: options.group ?? `concord-cli-${options.org}`,
    fromBeginning: options.fromBeginning ?? false,
    topicPrefix: options.topicPrefix,
    ...(options.only === undefined || options.only === 'events'
      ? { onEvent: (event, record) => print({ kind: 'event', ...where(record), event }) }
      : {}),
    // The platform's signed checkpoints of its log, to keep: a later one must extend each.
    ...(options.only === undefined || options.only === 'checkpoints'
      ? {
          onCheckpoint: (checkpoint, record) =>
            print({ kind: 'checkpoint', ...where(record), checkpoint }),
        }
      : {}),
    ...(options.only === undefined || options.only === 'rejections'
      ? {
          onRejection: (rejection, record, receipt) =>
            print({
              kind: 'rejection',
              ...where(record),
              rejection,
              ...(receipt ? { receipt } : {}),
            }),
        }
      : {}),
    onUndecodable: (errors, record) =>
      io.stderr.write(
        `${record.topic}@${record.partition}:${record.offset}: skipped, ${errors.map((e) => e.message).join(' ')}\n`,
      ),
  });
  io.stderr.write(`following ${subscription.topics.join(' and ')} (Ctrl-C stops)\n`);
  if (!controller.signal.aborted) {
    await new Promise((resolve) =>
      controller.signal.addEventListener('abort', resolve, { once: true }),
    );
  }
  await subscription.stop();
  return EXIT.ok;
}
