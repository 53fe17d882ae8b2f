/** Counters of the ingest process (exposed in logs and, later, a metrics endpoint). */
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
    };
  }
}
