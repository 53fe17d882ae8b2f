import type { Consumer, TopicPartitionOffsetAndMetadata } from 'kafkajs';

type Committer = Pick<Consumer, 'commitOffsets'>;

interface Gathering {
  /** The newest offset asked for, per partition. */
  offsets: Map<string, TopicPartitionOffsetAndMetadata>;
  waiting: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Commits the offsets partitions reach in the same turn of the event loop in one OffsetCommit
 * request, not one request per partition. The partitions of one fetch are decided together
 * (`CoalescedIngest`) and answered together, so they ask to commit together: each request is a
 * write to the broker's offsets log, and at a partner's live pace (a few records per partition
 * per fetch) a commit per partition cost the broker more than the records did.
 *
 * Each caller's promise settles with the request that carried its offset: resolved once the group
 * has it, rejected with the request's error (a rebalance fails every partition of the group
 * alike, as it did one by one). A consumer's offsets are only ever sent by that consumer.
 */
export class CoalescedCommits {
  readonly #gathering = new Map<Committer, Gathering>();

  commit(consumer: Committer, offset: TopicPartitionOffsetAndMetadata): Promise<void> {
    let gathering = this.#gathering.get(consumer);
    if (!gathering) {
      const created: Gathering = { offsets: new Map(), waiting: [] };
      gathering = created;
      this.#gathering.set(consumer, created);
      // Once every partition answered in this turn has asked.
      setImmediate(() => this.#send(consumer, created));
    }
    const key = `${offset.topic}/${offset.partition}`;
    const before = gathering.offsets.get(key);
    if (!before || BigInt(offset.offset) > BigInt(before.offset))
      gathering.offsets.set(key, offset);
    const { waiting } = gathering;
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  async #send(consumer: Committer, gathering: Gathering): Promise<void> {
    this.#gathering.delete(consumer);
    try {
      await consumer.commitOffsets([...gathering.offsets.values()]);
    } catch (error) {
      for (const { reject } of gathering.waiting) reject(error);
      return;
    }
    for (const { resolve } of gathering.waiting) resolve();
  }
}
