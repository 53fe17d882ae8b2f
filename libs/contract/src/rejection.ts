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
