export {
  generatePlatformKey,
  isPlatformKeyId,
  loadPlatformKey,
  openEmbeddedPlatformKey,
  parsePlatformKey,
  PLATFORM_KEY_FILE,
  PLATFORM_KEYRING_FILE,
  PLATFORM_ORGANIZATION_ID,
  PlatformKeyError,
  platformKeyValidAt,
  publicHalf,
  readPlatformKeyring,
  rotatePlatformKey,
  type PlatformKey,
  type PlatformKeyring,
  type PlatformPublicKey,
  type PlatformSigning,
} from './platform-key.ts';
export {
  isPlatformSigned,
  platformEnvelope,
  signAsPlatform,
  signingAsPlatform,
  verifyPlatformSignature,
  type PlatformSignatureCheck,
} from './platform-signature.ts';
export {
  checkpointOf,
  checkpointSince,
  eventLeaf,
  inclusionIn,
  LOG_ORIGIN,
  logTreeHead,
  readLog,
  signCheckpoint,
  type LogSnapshot,
} from './log-tree.ts';
export { receiptSigner, signReceipt } from './receipt.ts';
export { CheckpointLog, CheckpointLogError, startCheckpointing } from './checkpoint-log.ts';
