export type { ValidationError, ValidationErrorCode } from './validation-error.ts';
export type { CloudEventAttributes, ConcordEvent, EventData } from './events.ts';
export { QUARANTINE_HEADERS, RECEIPT_HEADER, type Rejection } from './rejection.ts';
export * from './generated/schema-types.ts';
export {
  dataSchemaIdByType,
  envelopeSchemaId,
  eventTypes,
  logCheckpointSchemaId,
  rejectionSchemaId,
  schemaDocuments,
  schemaPathByType,
  type EventType,
} from './generated/catalogue.ts';
export {
  claimedIdentity,
  compiledSchemas,
  isEventType,
  parseEvent,
  validateEvent,
  validateEventData,
  validateParsedEvent,
  validateLogCheckpoint,
  validateRejection,
  type ClaimedIdentity,
  type DataValidationResult,
  type EventValidationResult,
  type ValidationOptions,
} from './validate.ts';
export { DEFAULT_MAX_EVENT_BYTES } from './size.ts';
export { isUnicodeText, loneSurrogatePath, notUnicodeText } from './unicode-text.ts';
export { ContractViolationError } from './contract-violation-error.ts';
export { canonicalJson, canonicalJsonBytes } from './canonical-json.ts';
export {
  generateSigningKey,
  publicKeyFromBase64,
  publicKeyToBase64,
  signEvent,
  signingInput,
  signingInputBytes,
  UNSIGNED_ATTRIBUTES,
  verifyEventSignature,
  verifyEventSignatureAsync,
} from './signing.ts';
export {
  signKeyStatement,
  verifyKeyStatement,
  type SigningKeyStatement,
} from './key-statements.ts';
export {
  decodeKafkaRecord,
  encodeKafkaRecord,
  JSON_CONTENT_TYPE,
  KAFKA_CONTENT_TYPE_HEADER,
  KAFKA_HEADER_PREFIX,
  type KafkaRecordIn,
  type KafkaRecordOut,
} from './kafka-binding.ts';
export {
  decodeLogCheckpointRecord,
  encodeLogCheckpointRecord,
  isLogCheckpointRecord,
  LOG_CHECKPOINT_SOURCE,
  LOG_CHECKPOINT_TYPE,
  logCheckpointId,
  type LogCheckpoint,
  type LogCheckpointRecordResult,
} from './log-checkpoint.ts';
export {
  CLOUDEVENTS_BATCH_JSON,
  CLOUDEVENTS_JSON,
  decodeHttp,
  decodeHttpBatch,
  decodeHttpStructured,
  DEFAULT_MAX_BATCH_BYTES,
  DEFAULT_MAX_BATCH_EVENTS,
  encodeHttpBatch,
  encodeHttpStructured,
  type HttpBatchDecodeResult,
  type HttpBatchOptions,
  type HttpBody,
  type HttpBodyIn,
} from './http-binding.ts';
export {
  batchShippedV1ToV2,
  latestTypeOf,
  UNKNOWN_COUNTRY,
  upcastData,
  upcastEvent,
  upcasters,
  type Upcaster,
} from './upcasting.ts';
