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
  fromBase64,
  toBase64,
  verifyCheckpointSignature,
  type SignedCheckpoint,
} from './checkpoint.ts';
