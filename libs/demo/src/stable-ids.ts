import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, RFC 9562's vendor-specific layout) derived from a name: the same name always
 * gives the same id. The demo names its events this way so that anything sent or appended twice
 * (a restart re-seeding the world, a resumed step sent again) is recognized as a redelivery.
 */
export function stableUuid(name: string): string {
  const bytes = createHash('sha256').update(`concord-demo\u0000${name}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A small deterministic random source (mulberry32), seeded from a name. */
export function seededRandom(name: string): () => number {
  let state = createHash('sha256').update(name).digest().readUInt32LE(0);
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
