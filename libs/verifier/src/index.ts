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
