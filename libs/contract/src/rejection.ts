import type { RejectionV2 } from './generated/schema-types.ts';

/**
 * A rejection as Concord publishes it on concord.rejections.<organizationId>: the newest version
 * (schemas/rejection.v2.schema.json; v1 did not allow dotted codes such as
 * `sender.invalid-signature`).
 */
export type Rejection = RejectionV2;

/**
 * The Kafka header of a rejection record that carries Concord's signed receipt of the refusal
 * (JSON, `schemas/receipt.v1.schema.json`). A header, because the record value is a published,
 * closed rejection schema.
 */
export const RECEIPT_HEADER = 'concord-receipt';

/**
 * The headers ingest adds to a record it sets aside on `<prefix>.quarantine` (the partner's record
 * as it came, key, value and headers, plus these): where it came from, why and when. Operators'
 * tools read them (`concord quarantine`).
 */
export const QUARANTINE_HEADERS = {
  topic: 'concord-quarantine-topic',
  partition: 'concord-quarantine-partition',
  offset: 'concord-quarantine-offset',
  reason: 'concord-quarantine-reason',
  at: 'concord-quarantined-at',
} as const;
