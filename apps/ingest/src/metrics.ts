import { Histogram } from 'prom-client';

/** How a partner record was answered, as the answer-time histogram labels it. */
export type AnswerKind = 'accepted' | 'duplicate' | 'rejected' | 'quarantined';

/** Counters of the ingest process (exposed in logs and at the operations port's /metrics). */
export class IngestMetrics {
  accepted = 0;
  duplicates = 0;
  rejected = new Map<string, number>();
  retries = 0;
  published = 0;
  deadLettered = 0;
  /** Checkpoints of the log published to the partners (each once, whatever the partner count). */
  checkpointsPublished = 0;
  /** Records set aside on the quarantine topic, per partner. */
  quarantined = new Map<string, number>();
  /** Records not yet handled, per inbound topic-partition, as of its last batch. */
  lag = new Map<string, number>();
  /** Whether the consumer is a member of the ingest group (joined, not rebalancing or crashed). */
  inGroup = false;
  /** Whether a consumer should be reading (there are partner inbound topics). */
  consuming = false;
  /** When the group last answered the consumer: a heartbeat, a commit or a join (ms). */
  heardFromGroupAt: number | undefined;
  /**
   * Silence from the group after which the consumer counts as stalled: the group has evicted it
   * long ago, whatever hangs (a call that never returns, a broker it keeps asking in vain).
   */
  stalledAfterMs = 60_000;
  /**
   * Each partner record, from its Kafka timestamp to its answer (`answered`); registered by the
   * operations port's registry (`ingestRegistry`).
   */
  readonly answerSeconds = new Histogram({
    name: 'concord_ingest_answer_seconds',
    help: "Seconds from a partner record's Kafka timestamp (its producer's clock, or the broker's where the topic stamps LogAppendTime) to its answer: stored, or refused with its answer on record; by partner and outcome (a clock ahead counts as no time)",
    labelNames: ['organization', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [],
  });

  /** A partner's record produced at `producedAtMs` (its Kafka timestamp) is answered now. */
  answered(organizationId: string, outcome: AnswerKind, producedAtMs: number, now = Date.now()) {
    if (!Number.isFinite(producedAtMs)) return;
    this.answerSeconds.observe(
      { organization: organizationId, outcome },
      Math.max(0, now - producedAtMs) / 1_000,
    );
  }

  /** How long the group has not answered a consumer that should be reading (ms; 0 if it should not). */
  silenceMs(now = Date.now()): number {
    if (!this.consuming || this.heardFromGroupAt === undefined) return 0;
    return Math.max(0, now - this.heardFromGroupAt);
  }

  get stalled(): boolean {
    return this.silenceMs() >= this.stalledAfterMs;
  }

  reject(code: string): void {
    this.rejected.set(code, (this.rejected.get(code) ?? 0) + 1);
  }

  quarantine(organizationId: string): void {
    this.quarantined.set(organizationId, (this.quarantined.get(organizationId) ?? 0) + 1);
  }

  snapshot() {
    return {
      accepted: this.accepted,
      duplicates: this.duplicates,
      rejected: Object.fromEntries(this.rejected),
      retries: this.retries,
      published: this.published,
      deadLettered: this.deadLettered,
      checkpointsPublished: this.checkpointsPublished,
      quarantined: Object.fromEntries(this.quarantined),
      lag: Object.fromEntries(this.lag),
      inGroup: this.inGroup,
      silenceMs: this.silenceMs(),
    };
  }
}
