export {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  nodeHash,
  rootHash,
  sameHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.ts';
export {
  checkpointBody,
  checkpointCommitsTo,
  checkpointIncludes,
  checkpointsConsistent,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.ts';
export { fromBase64, toBase64 } from './base64.ts';
export { verifyEd25519 } from './ed25519.ts';
export {
  EVIDENCE_BUNDLE_FORMAT,
  verifyBundle,
  type BundleCheck,
  type BundleEvent,
  type BundleProblem,
  type BundleStream,
  type BundleStreamRole,
  type BundleVerdict,
  type EvidenceBundle,
  type VerifyBundleOptions,
} from './bundle.ts';
export {
  canonicalJson,
  recomputeEventHash,
  storedEventId,
  type StoredEventRecord,
} from './record.ts';
export { locate, verdictLines } from './verdict-text.ts';
export {
  eventDigest,
  RECEIPT_FORMAT,
  receiptBody,
  receiptIncludedIn,
  verifyReceiptInclusion,
  verifyReceiptSignature,
  type AcceptedReceipt,
  type InclusionProof,
  type Receipt,
  type ReceiptEvent,
  type ReceiptInclusionCheck,
  type RejectedReceipt,
  type SignedReceipt,
} from './receipt.ts';
export { platformKeyValidAt, type PlatformPublicKey } from './platform-keys.ts';
