import type { Receipt, SignedReceipt } from '@concord/verifier';

/** A refusal the partner can read: a stable code, a sentence, and the offending field if one. */
export interface Rejection {
  rejectedEventId: string;
  rejectedEventSource: string;
  rejectedEventType?: string;
  code: string;
  message: string;
  path?: string;
  errors?: { path: string; code: string; message: string }[];
  receivedAt: string;
}

export type Outcome =
  | {
      status: 'accepted';
      /** The partner's id and source (what it correlates on). */
      id: string;
      source: string;
      /** The id the event is stored under (derived from source and id). */
      eventId: string;
      streamId: string;
      /** Positions of every event recorded for it (the event and any the domain derived). */
      positions: bigint[];
      recordedTypes: string[];
      /** True when this was a redelivery of an event already recorded: nothing new was written. */
      duplicate: boolean;
      /** The organization whose channel it came in on. */
      organizationId: string;
      /**
       * The platform's signed receipt (when the pipeline signs, see `IngestPipelineOptions`): the
       * event's hash and position, what was derived from it. Made when the answer is first given,
       * kept with it and given again, the same bytes, on every redelivery (`duplicate` is not in it).
       */
      receipt?: SignedReceipt;
    }
  | {
      status: 'rejected';
      organizationId: string;
      rejection: Rejection;
      /** The platform's signed receipt of the refusal (when the pipeline signs). */
      receipt?: SignedReceipt;
    };

/**
 * Signs receipts as the platform: `receiptSigner(key)` of `@concord/evidence`. Injected, so ingest
 * holds no key and depends on nothing but the receipt's format.
 */
export interface ReceiptSigner {
  /** The log whose checkpoints will include what an accepted receipt names. */
  readonly logOrigin: string;
  /** Signs off the event loop where it can: a batch's receipts are signed together. */
  sign(receipt: Receipt): Promise<SignedReceipt>;
}

/**
 * The reason codes of the ingest pipeline itself; domain refusals keep the domain's codes
 * (`batch.out-of-order`, `authorization.not-responsible-party`, ...).
 */
export const INGEST_REJECTION_CODES = {
  'transport.undecodable': 'The bytes are not a readable CloudEvent.',
  'transport.unsupported-content-type': 'The content type is not one Concord accepts.',
  'transport.too-many-headers': 'The Kafka record carries more headers than a Concord event has.',
  'event.too-large': 'The event is larger than the limit.',
  'event.unknown-type': 'The event type is not in the catalogue.',
  'event.invalid-envelope': 'A CloudEvents attribute is missing or invalid.',
  'event.invalid-data': 'The data does not match the event type’s schema.',
  'sender.forged-source': 'The source does not belong to the organization that sent the event.',
  'sender.organization-mismatch': 'The event claims another organization than its sender.',
  'sender.unknown-organization': 'The sending organization is not registered.',
  'sender.unsigned': 'The event carries no signature.',
  'sender.unknown-signing-key':
    'The signing key is not registered for the sender, or was not valid then.',
  'sender.invalid-signature': 'The signature does not verify against the sender’s key.',
  'sender.signing-key-revoked':
    'The signing key was revoked before the event happened or was received: it signs nothing after.',
  'sender.unknown-person': 'The acting person holds no role at the sending organization.',
  'routing.platform-only': 'Only the platform may emit this event type.',
  'store.conflict': 'The stream kept changing while the event was being recorded; send it again.',
  'event.id-conflict':
    'The source and id were already used for a different event; a new event needs a new id.',
  'event.unstorable': 'The event cannot be stored (the database refuses its content).',
  'ingest.quarantined':
    'The event could not be processed and was set aside for Concord’s operators; it was not recorded.',
} as const;

export type IngestRejectionCode = keyof typeof INGEST_REJECTION_CODES;
