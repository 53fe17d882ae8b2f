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
export { eventLeaf, LOG_ORIGIN, logTreeHead, signCheckpoint } from './log-tree.ts';
