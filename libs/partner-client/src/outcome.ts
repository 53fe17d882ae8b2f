import type { Rejection } from '@concord/contract';

/** Concord's answer to one event sent over HTTP (the ingest endpoint's `outcomes[i]`). */
export type IngestOutcome =
  | {
      status: 'accepted';
      /** The event's own id and source, as sent. */
      id: string;
      source: string;
      /** The id Concord stored it under. */
      eventId: string;
      /** True when Concord had it already (a redelivery): nothing new was recorded. */
      duplicate: boolean;
      /** Positions of what was recorded, as decimal strings. */
      positions: string[];
    }
  | { status: 'rejected'; rejection: Rejection };
