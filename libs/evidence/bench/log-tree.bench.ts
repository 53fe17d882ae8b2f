// pnpm --filter @concord/evidence run bench [--max 1000000] [--out artifacts/bench/log-tree.json]
//
// What a checkpoint costs as the log grows: appending a leaf to the log's tree (the frontier) and
// taking its root, at 10k, 100k and 1M events, against SHA-256 alone in the same run (the
// ceiling: an append is one leaf hash plus, on average, one node hash). Appends must not get
// slower as the log grows: the last 50,000 appends of each size are timed against the first.
// Ed25519 verification alone is reported beside, as the cost of checking one signature.
import { createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  inclusionProof,
  leafHash,
  MerkleFrontier,
  rootHash,
  verifyInclusion,
  type Hash,
} from '@concord/verifier';

const { values } = parseArgs({
  options: {
    max: { type: 'string', default: '1000000' },
    out: { type: 'string', default: 'artifacts/bench/log-tree.json' },
  },
});
const max = Number(values.max);
const sizes = [10_000, 100_000, 1_000_000].filter((size) => size <= max);

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (count: number, elapsed: number) => Math.round(count / elapsed);

// An event's stored hash: 32 bytes, here the event's number in a reused buffer, so that the
// timing is the tree's and not the garbage collector's over a million inputs.
const eventHash = (() => {
  const buffer = Buffer.alloc(32);
  return (n: number) => {
    buffer.writeUInt32BE(n, 0);
    return buffer;
  };
})();

function sha256Ceiling(count: number): number {
  const input = randomBytes(33);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) leafHash(input);
  return rate(count, seconds(start));
}

function ed25519Verify(count: number): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const message = randomBytes(600);
  const signature = sign(null, message, privateKey);
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) verify(null, message, publicKey, signature);
  return rate(count, seconds(start));
}

const results: Record<string, unknown>[] = [];
const hashCeiling = sha256Ceiling(200_000);
for (const size of sizes) {
  const WINDOW = Math.min(50_000, size);
  const frontier = new MerkleFrontier();
  const start = process.hrtime.bigint();
  let firstWindow = 0;
  let lastWindowStart = 0n;
  for (let i = 0; i < size; i++) {
    if (i === size - WINDOW) lastWindowStart = process.hrtime.bigint();
    frontier.append(leafHash(eventHash(i)));
    if (i === WINDOW - 1) firstWindow = seconds(start);
  }
  const total = seconds(start);
  const lastWindow = seconds(lastWindowStart);
  const rootStart = process.hrtime.bigint();
  const root = frontier.root();
  const rootMicros = seconds(rootStart) * 1e6;
  // One inclusion proof checked, as a partner checks a receipt.
  const leaves: Hash[] =
    size <= 100_000 ? Array.from({ length: size }, (_, i) => leafHash(eventHash(i))) : [];
  let inclusionMicros: number | null = null;
  if (leaves.length > 0) {
    if (
      createHash('sha256').update(rootHash(leaves)).digest('hex') !==
      createHash('sha256').update(root).digest('hex')
    )
      throw new Error('the frontier and the whole tree disagree');
    const index = Math.floor(size / 3);
    const proof = inclusionProof(leaves, index);
    const verifyStart = process.hrtime.bigint();
    if (!verifyInclusion(index, size, leaves[index]!, proof, root))
      throw new Error('proof refused');
    inclusionMicros = seconds(verifyStart) * 1e6;
  }
  results.push({
    size,
    appendsPerSecond: rate(size, total),
    ratioToSha256: +(rate(size, total) / hashCeiling).toFixed(3),
    firstWindowPerSecond: rate(WINDOW, firstWindow),
    lastWindowPerSecond: rate(WINDOW, lastWindow),
    lastToFirst: +(firstWindow / lastWindow).toFixed(2),
    rootMicroseconds: +rootMicros.toFixed(1),
    inclusionCheckMicroseconds: inclusionMicros === null ? null : +inclusionMicros.toFixed(1),
  });
}
const ed25519 = ed25519Verify(20_000);

await mkdir(dirname(values.out), { recursive: true });
await writeFile(
  values.out,
  `${JSON.stringify({ when: new Date().toISOString(), sha256PerSecond: hashCeiling, ed25519VerifyPerSecond: ed25519, sizes: results }, null, 2)}\n`,
);
console.log('\nLog tree benchmark (one core)\n');
console.log(`SHA-256 of a leaf alone      ${hashCeiling} /s (ceiling, same run)`);
console.log(`Ed25519 verify alone         ${ed25519} /s\n`);
for (const r of results)
  console.log(
    `${String(r.size).padStart(9)} events: append ${r.appendsPerSecond}/s (ratio ${r.ratioToSha256} to SHA-256), last vs first 50k appends ${r.lastToFirst}, root ${r.rootMicroseconds} µs${r.inclusionCheckMicroseconds === null ? '' : `, inclusion check ${r.inclusionCheckMicroseconds} µs`}`,
  );
console.log(`\nwritten to ${values.out}`);
