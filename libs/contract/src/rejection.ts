import type { RejectionV2 } from './generated/schema-types.ts';

/**
 * A rejection as Concord publishes it on concord.rejections.<organizationId>: the newest version
 * (schemas/rejection.v2.schema.json; v1 did not allow dotted codes such as
 * `sender.invalid-signature`).
 */
export type Rejection = RejectionV2;
