import { randomBytes } from 'node:crypto';

/** A name no other test (or earlier run) uses: `<prefix>-<12 hex chars>`. Kafka-, Postgres- and URL-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/** A random Kafka topic name, so tests never share a topic. */
export const randomTopic = (prefix = 'test-topic'): string => uniqueName(prefix);

/** A random Kafka consumer group id, so tests never share committed offsets. */
export const randomGroupId = (prefix = 'test-group'): string => uniqueName(prefix);
