import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  MerkleFrontier,
  nodeHash,
  rootHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.ts';
import vectors from './test-support/rfc9162-vectors.json' with { type: 'json' };

const bytes = (base64: string | null | undefined): Hash =>
  Uint8Array.from(atob(base64 ?? ''), (c) => c.charCodeAt(0));
const hashes = (list: string[] | null | undefined): Hash[] => (list ?? []).map(bytes);
const hex = (hash: Hash) => Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');

/** The eight leaves of the reference tree of RFC 6962's test suite (the vectors' tree). */
const REFERENCE_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => leafHash(Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16))));

describe('RFC 9162 Merkle tree', () => {
  it('hashes as the RFC does: the empty tree, an empty leaf, the reference tree', () => {
    expect(hex(EMPTY_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(hex(REFERENCE_LEAVES[0]!)).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex(rootHash(REFERENCE_LEAVES))).toBe(
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    );
  });

  it.each(vectors.inclusion)('inclusion vector $file', (vector) => {
    const ok = verifyInclusion(
      vector.leafIdx,
      vector.treeSize,
      bytes(vector.leafHash),
      hashes(vector.proof),
      bytes(vector.root),
    );
    expect(ok).toBe(!vector.wantErr);
  });

  it.each(vectors.consistency)('consistency vector $file', (vector) => {
    const ok = verifyConsistency(
      vector.size1,
      vector.size2,
      hashes(vector.proof),
      bytes(vector.root1),
      bytes(vector.root2),
    );
    expect(ok).toBe(!vector.wantErr);
  });

  it('makes the proofs of the vectors that are accepted, from the reference leaves', () => {
    for (const vector of vectors.inclusion.filter((v) => !v.wantErr)) {
      const leaves = REFERENCE_LEAVES.slice(0, vector.treeSize);
      expect(inclusionProof(leaves, vector.leafIdx).map(hex)).toEqual(
        hashes(vector.proof).map(hex),
      );
    }
    for (const vector of vectors.consistency.filter((v) => !v.wantErr)) {
      const leaves = REFERENCE_LEAVES.slice(0, vector.size2);
      expect(consistencyProof(leaves, vector.size1).map(hex)).toEqual(
        hashes(vector.proof).map(hex),
      );
    }
  });

  const leavesArbitrary = fc
    .array(fc.uint8Array({ minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 70 })
    .map((entries) => entries.map(leafHash));

  it('proves every leaf of any tree, and no leaf at another index or under another root', () => {
    fc.assert(
      fc.property(leavesArbitrary, fc.nat(), (leaves, pick) => {
        const root = rootHash(leaves);
        const index = pick % leaves.length;
        const proof = inclusionProof(leaves, index);
        expect(verifyInclusion(index, leaves.length, leaves[index]!, proof, root)).toBe(true);
        const other = leafHash(Uint8Array.of(0xff, ...leaves[index]!));
        expect(verifyInclusion(index, leaves.length, other, proof, root)).toBe(false);
        if (leaves.length > 1) {
          const elsewhere = (index + 1) % leaves.length;
          if (!sameBytes(leaves[elsewhere]!, leaves[index]!))
            expect(verifyInclusion(elsewhere, leaves.length, leaves[index]!, proof, root)).toBe(
              false,
            );
        }
        expect(
          verifyInclusion(index, leaves.length, leaves[index]!, proof, nodeHash(root, root)),
        ).toBe(false);
      }),
    );
  });

  it('proves that any prefix grew into the whole tree, and refuses a changed or reordered tree', () => {
    fc.assert(
      fc.property(leavesArbitrary, fc.nat(), (leaves, pick) => {
        const size1 = 1 + (pick % leaves.length);
        const root1 = rootHash(leaves.slice(0, size1));
        const root2 = rootHash(leaves);
        const proof = consistencyProof(leaves, size1);
        expect(verifyConsistency(size1, leaves.length, proof, root1, root2)).toBe(true);
        // From the empty tree anything follows: refused, never passed.
        expect(verifyConsistency(0, leaves.length, [], EMPTY_ROOT, root2)).toBe(false);
        // The earlier tree with one entry rewritten: the later root cannot follow from it.
        const rewritten = [...leaves];
        rewritten[size1 - 1] = leafHash(Uint8Array.of(0xee, ...leaves[size1 - 1]!));
        expect(
          verifyConsistency(
            size1,
            leaves.length,
            proof,
            rootHash(rewritten.slice(0, size1)),
            root2,
          ),
        ).toBe(false);
        // The later tree with two entries of the prefix swapped.
        if (size1 >= 2 && !sameBytes(leaves[0]!, leaves[1]!)) {
          const swapped = [leaves[1]!, leaves[0]!, ...leaves.slice(2)];
          expect(verifyConsistency(size1, leaves.length, proof, root1, rootHash(swapped))).toBe(
            false,
          );
        }
      }),
    );
  });

  it('keeps the root of a growing log with a frontier, equal to the whole tree at every size', () => {
    fc.assert(
      fc.property(leavesArbitrary, (leaves) => {
        const frontier = new MerkleFrontier();
        expect(hex(frontier.root())).toBe(hex(EMPTY_ROOT));
        leaves.forEach((leaf, i) => {
          frontier.append(leaf);
          expect(hex(frontier.root())).toBe(hex(rootHash(leaves.slice(0, i + 1))));
        });
        const resumed = MerkleFrontier.from(frontier.toJSON());
        resumed.append(leaves[0]!);
        expect(hex(resumed.root())).toBe(hex(rootHash([...leaves, leaves[0]!])));
      }),
    );
  });

  it('refuses a saved frontier whose subtrees do not fit its size', () => {
    expect(() => MerkleFrontier.from({ size: 3, subtrees: [EMPTY_ROOT] })).toThrow(/2 subtrees/);
  });
});

function sameBytes(a: Hash, b: Hash): boolean {
  return hex(a) === hex(b);
}
