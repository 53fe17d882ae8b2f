import type { Rejection } from '@concord/contract';
import type { SignedReceipt } from '@concord/verifier';

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
      /**
       * Concord's signed receipt: keep it. It names the stored hash and position of the event and
       * of what Concord derived from it; with a later checkpoint and an inclusion proof,
       * `verifyReceiptInclusion` of `@concord/verifier` proves the event is in Concord's log as
       * accepted. A redelivery gets the same receipt.
       */
      receipt?: SignedReceipt;
    }
  | {
      status: 'rejected';
      rejection: Rejection;
      /** Concord's signed receipt of the refusal (`verifyReceiptSignature`). */
      receipt?: SignedReceipt;
    };
