// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency v2, the same tree as RFC 6962):
// SHA-256, leaves hashed with a 0x00 prefix and interior nodes with 0x01, so that no leaf can pass
// for a node. A tree head (size, root) commits to every entry in order; an inclusion proof shows
// that one entry is at one index of a tree; a consistency proof shows that a tree is an earlier
// tree with entries appended, nothing removed, changed or reordered.
//
// Sizes and indices are plain numbers (exact up to 2^53) and halved with arithmetic, never with
// 32-bit bit operators.
import { sha256 } from '@noble/hashes/sha2.js';

export type Hash = Uint8Array;

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** The hash of an entry as a leaf: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Hash {
  const input = new Uint8Array(entry.length + 1);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return sha256(input);
}

/** The hash of an interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}

/** The root of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

/** The largest power of two smaller than n (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return split(n + 1) === n;
}

function odd(n: number): boolean {
  return n % 2 === 1;
}

function half(n: number): number {
  return Math.floor(n / 2);
}

/**
 * RFC 9162's "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0": past the
 * levels where the node is its parent's left child on the tree's right edge (no sibling there).
 */
function climbPastLeftEdges(fn: number, sn: number): [number, number] {
  do {
    fn = half(fn);
    sn = half(sn);
  } while (!odd(fn) && fn !== 0);
  return [fn, sn];
}

/** MTH(D[start:end]) over leaf hashes. */
function subtreeRoot(leaves: readonly Hash[], start: number, end: number): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start]!;
  const k = split(n);
  return nodeHash(subtreeRoot(leaves, start, start + k), subtreeRoot(leaves, start + k, end));
}

/** The root hash of the tree whose leaves are these leaf hashes, in order. */
export function rootHash(leaves: readonly Hash[]): Hash {
  return subtreeRoot(leaves, 0, leaves.length);
}

/** The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1). */
export function inclusionProof(
  leaves: readonly Hash[],
  index: number,
  size: number = leaves.length,
): Hash[] {
  if (!(index >= 0 && index < size && size <= leaves.length))
    throw new RangeError(`no leaf ${index} in a tree of ${size}`);
  const path = (m: number, start: number, end: number): Hash[] => {
    const n = end - start;
    if (n === 1) return [];
    const k = split(n);
    return m < k
      ? [...path(m, start, start + k), subtreeRoot(leaves, start + k, end)]
      : [...path(m - k, start + k, end), subtreeRoot(leaves, start, start + k)];
  };
  return path(index, 0, size);
}

/**
 * The proof that the tree of the first `size1` leaves is a prefix of the tree of the first `size2`
 * (RFC 9162 §2.1.4.1). Empty when size1 is 0 or equals size2: nothing to prove.
 */
export function consistencyProof(
  leaves: readonly Hash[],
  size1: number,
  size2: number = leaves.length,
): Hash[] {
  if (!(size1 >= 0 && size1 <= size2 && size2 <= leaves.length))
    throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  if (size1 === 0 || size1 === size2) return [];
  const subproof = (m: number, start: number, end: number, complete: boolean): Hash[] => {
    const n = end - start;
    if (m === n) return complete ? [] : [subtreeRoot(leaves, start, end)];
    const k = split(n);
    return m <= k
      ? [...subproof(m, start, start + k, complete), subtreeRoot(leaves, start + k, end)]
      : [...subproof(m - k, start + k, end, false), subtreeRoot(leaves, start, start + k)];
  };
  return subproof(size1, 0, size2, true);
}

/** A SHA-256 hash: 32 bytes. */
function isHash(value: Hash): boolean {
  return value instanceof Uint8Array && value.length === 32;
}

/** Whether two hashes are the same bytes. */
export function sameHash(a: Hash, b: Hash): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** RFC 9162 §2.1.3.2: is `leaf` (a leaf hash) at `index` of the tree of `size` with `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size))
    return false;
  if (![leaf, root, ...proof].every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) [fn, sn] = climbPastLeftEdges(fn, sn);
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(r, root);
}

/**
 * RFC 9162 §2.1.4.2: is the tree of `size2` with `root2` the tree of `size1` with `root1` and
 * entries appended? Equal sizes need equal roots and an empty proof. The empty tree proves nothing
 * (anything follows from it), so a check from size 0 is refused rather than passed: a partner's
 * first tree head is trusted as first seen, and checked against every later one.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Hash[],
  root1: Hash,
  root2: Hash,
): boolean {
  if (!(Number.isSafeInteger(size1) && Number.isSafeInteger(size2) && size1 >= 1)) return false;
  if (size1 > size2) return false;
  if (size1 === size2) return proof.length === 0 && sameHash(root1, root2);
  if (![root1, root2, ...proof].every(isHash)) return false;
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) [fn, sn] = climbPastLeftEdges(fn, sn);
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && sameHash(fr, root1) && sameHash(sr, root2);
}

/**
 * The right edge of a growing tree: the roots of its perfect subtrees, largest first (a "compact
 * range"). Appending a leaf and taking the root each cost O(log n) hashes, whatever the size, so
 * a log's tree head never needs the whole log again.
 */
export class MerkleFrontier {
  #size = 0;
  /** [height, root] of each perfect subtree, heights strictly decreasing. */
  readonly #subtrees: [number, Hash][] = [];

  /** Resumes from a saved frontier (`toJSON`), e.g. a checkpoint's. */
  static from(saved: { size: number; subtrees: Hash[] }): MerkleFrontier {
    const frontier = new MerkleFrontier();
    let remaining = saved.size;
    const heights: number[] = [];
    for (let height = 52; height >= 0; height--) {
      if (remaining >= 2 ** height) {
        heights.push(height);
        remaining -= 2 ** height;
      }
    }
    if (heights.length !== saved.subtrees.length)
      throw new RangeError(`a frontier of size ${saved.size} has ${heights.length} subtrees`);
    frontier.#size = saved.size;
    heights.forEach((height, i) => frontier.#subtrees.push([height, saved.subtrees[i]!]));
    return frontier;
  }

  get size(): number {
    return this.#size;
  }

  append(leaf: Hash): void {
    let height = 0;
    let hash = leaf;
    while (this.#subtrees.at(-1)?.[0] === height) {
      const [, left] = this.#subtrees.pop()!;
      hash = nodeHash(left, hash);
      height++;
    }
    this.#subtrees.push([height, hash]);
    this.#size++;
  }

  root(): Hash {
    if (this.#subtrees.length === 0) return EMPTY_ROOT;
    let root = this.#subtrees.at(-1)![1];
    for (let i = this.#subtrees.length - 2; i >= 0; i--)
      root = nodeHash(this.#subtrees[i]![1], root);
    return root;
  }

  toJSON(): { size: number; subtrees: Hash[] } {
    return { size: this.#size, subtrees: this.#subtrees.map(([, hash]) => hash) };
  }
}
