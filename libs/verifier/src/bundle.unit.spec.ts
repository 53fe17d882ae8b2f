import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toBase64, fromBase64 } from './base64.ts';
import { verifyBundle, type EvidenceBundle } from './bundle.ts';
import type { PlatformPublicKey } from './platform-keys.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import { recomputeEventHash } from './record.ts';

// Bundles exported from a real store (PGlite) by @concord/audit's export-verifier-fixtures script:
// the story batch untouched, and after each kind of tampering an insider could do in the database.
const FIXTURE = new URL('./test-support/fixture/', import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, FIXTURE), 'utf8')) as T;
const bundle = () => read<EvidenceBundle>('bundle.json');
const platformKeys = read<{ keys: PlatformPublicKey[] }>('keyring.json').keys;
const kept = read<SignedCheckpoint>('kept-checkpoint.json');
const trusted = { platformKeys, keptCheckpoints: [kept] };

const streamOf = (b: EvidenceBundle, role: string) => b.streams.find((s) => s.role === role)!;
/** What an insider editing the bundle file would do to hide an edit: recompute the chain. */
function rechain(b: EvidenceBundle, streamId: string): void {
  let previousHash: string | null = null;
  for (const event of b.streams.find((s) => s.streamId === streamId)!.events) {
    event.previousHash = previousHash;
    event.hash = recomputeEventHash(event);
    previousHash = event.hash;
  }
}
const flip = (base64: string) => {
  const bytes = fromBase64(base64);
  bytes[5] = bytes[5]! ^ 0x01;
  return toBase64(bytes);
};

describe('an evidence bundle exported from a real store', () => {
  it('verifies untouched, against the published keys and the checkpoint a partner kept', async () => {
    const verdict = await verifyBundle(bundle(), trusted);
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, platformKeysFrom: 'given', firstProblem: null });
    const events = bundle().streams.reduce((n, s) => n + s.events.length, 0);
    expect(verdict.checked).toEqual([
      expect.stringMatching(
        /^checkpoint of \d+ events at 2026-06-02T00:00:00.000Z signed by concord:/,
      ),
      `hash chains of 5 streams (${events} events) recomputed from their first event`,
      `${events} of ${events} events proven in the signed log (RFC 9162 inclusion)`,
      'global order of the events agrees with their places in the log',
      expect.stringMatching(/^signatures: \d+ partner events .*, \d+ platform events/),
      `the log extends the kept checkpoint of ${kept.treeSize} events at ${kept.timestamp}`,
      'the report is anchored on the head hashes of the bundled streams',
    ]);
  });

  // What the verifier names first for each, with the published keys and the kept checkpoint.
  const insiders: [string, object][] = [
    [
      'data-updated',
      { check: 'hash-chain', detail: expect.stringMatching(/changed after it was recorded/) },
    ],
    ['signature-flipped', { check: 'hash-chain' }],
    [
      'row-deleted',
      { check: 'hash-chain', detail: expect.stringMatching(/missing or was renumbered/) },
    ],
    [
      'deleted-renumbered-rechained',
      {
        check: 'kept-checkpoint',
        detail: expect.stringMatching(/removed from the log|rewritten|not an extension/),
      },
    ],
    ['tail-truncated', { check: 'kept-checkpoint' }],
    ['global-order-swapped', { check: 'kept-checkpoint' }],
    [
      'agreement-rewritten',
      {
        check: 'signature',
        streamId: expect.stringMatching(/^agreement-/),
        detail: expect.stringMatching(/platform's signature .* does not verify/),
      },
    ],
    [
      'insider-key-forgery',
      {
        check: 'signature',
        streamId: expect.stringMatching(/^batch-/),
        detail: expect.stringMatching(/insider is not a key of .* registered by the platform/),
      },
    ],
  ];
  it.each(insiders)('catches the record exported after an insider’s %s', async (name, expected) => {
    const tampered = read<EvidenceBundle>(`tampered/${name}.json`);
    const verdict = await verifyBundle(tampered, trusted);
    expect(verdict.ok).toBe(false);
    expect(verdict.firstProblem).toMatchObject(expected);
  });

  it('needs the kept checkpoint for a rewrite that recomputed every chain', async () => {
    const rewritten = read<EvidenceBundle>('tampered/deleted-renumbered-rechained.json');
    // On its own, the rewritten record is consistent: chains, proofs and signatures all hold.
    const alone = await verifyBundle(rewritten, { platformKeys });
    expect(alone.ok).toBe(true);
    expect(alone.notChecked.join('\n')).toMatch(/no earlier checkpoint was given/);
  });

  const edits: [string, (b: EvidenceBundle) => void, object][] = [
    [
      'a changed value',
      (b) => {
        const qc = streamOf(b, 'subject').events.find((e) => e.type.includes('qc-result'))!;
        qc.data.value = 99.9;
      },
      { check: 'hash-chain', detail: expect.stringMatching(/changed after it was recorded/) },
    ],
    [
      'a changed value with the chain recomputed',
      (b) => {
        const subject = streamOf(b, 'subject');
        subject.events.find((e) => e.type.includes('qc-result'))!.data.value = 99.9;
        rechain(b, subject.streamId);
      },
      { check: 'inclusion' },
    ],
    [
      'an agreement term changed, chain recomputed, proofs not',
      (b) => {
        const agreement = streamOf(b, 'agreement');
        (agreement.events[0]!.data as { products: { name: string }[] }).products[0]!.name = 'X';
        rechain(b, agreement.streamId);
      },
      { check: 'inclusion', streamId: expect.stringMatching(/^agreement-/) },
    ],
    [
      'an event removed from the middle',
      (b) => void streamOf(b, 'subject').events.splice(2, 1),
      { check: 'hash-chain', detail: expect.stringMatching(/missing or was renumbered/) },
    ],
    [
      'two leaves swapped',
      (b) => {
        const [first, second] = streamOf(b, 'subject').events;
        [first!.leafIndex, second!.leafIndex] = [second!.leafIndex, first!.leafIndex];
        [first!.inclusionProof, second!.inclusionProof] = [
          second!.inclusionProof,
          first!.inclusionProof,
        ];
      },
      { check: 'inclusion' },
    ],
    [
      'a flipped byte in an inclusion proof',
      (b) => {
        const event = streamOf(b, 'linked deviation').events[1]!;
        event.inclusionProof[0] = flip(event.inclusionProof[0]!);
      },
      { check: 'inclusion', streamId: expect.stringMatching(/^deviation-/) },
    ],
    [
      'a flipped byte in a partner signature (stored and signed copies alike)',
      (b) => {
        const event = streamOf(b, 'subject').events[1]!;
        const signature = flip(String(event.metadata.signature));
        event.metadata.signature = signature;
        (event.metadata.envelope as Record<string, unknown>).signature = signature;
      },
      { check: 'hash-chain' },
    ],
    [
      'a flipped byte in the checkpoint’s signature',
      (b) => void (b.checkpoint.signature = flip(b.checkpoint.signature)),
      { check: 'checkpoint', detail: expect.stringMatching(/does not verify/) },
    ],
    [
      'a checkpoint claiming a key that is not one the platform published',
      (b) => void (b.checkpoint.keyId = 'concord:2026-01-01-deadbeef'),
      { check: 'platform-key' },
    ],
  ];
  it.each(edits)('names the first broken link after %s', async (_name, edit, expected) => {
    const edited = bundle();
    edit(edited);
    const verdict = await verifyBundle(edited, trusted);
    expect(verdict.ok).toBe(false);
    expect(verdict.firstProblem).toMatchObject(expected);
  });

  it('checks a signature an edit leaves in place: a re-signed event fails on its signature', async () => {
    const edited = bundle();
    const event = streamOf(edited, 'subject').events[1]!;
    const signature = flip(String(event.metadata.signature));
    event.metadata.signature = signature;
    (event.metadata.envelope as Record<string, unknown>).signature = signature;
    rechain(edited, event.streamId);
    // Pretend the proofs were also made for the new hashes: only the signature is left to tell.
    const verdict = await verifyBundle(edited, trusted);
    const problems = verdict.problems.filter((p) => p.eventId === event.id).map((p) => p.check);
    expect(problems).toContain('signature');
  });

  it('refuses what is not a bundle, with the reason', async () => {
    expect((await verifyBundle({ hello: 'world' })).firstProblem).toEqual({
      check: 'format',
      detail: expect.stringMatching(/^not an evidence bundle of format concord.evidence-bundle.v1/),
    });
    expect((await verifyBundle(null)).ok).toBe(false);
  });
});

describe('concord-verify, the command', () => {
  const bin = fileURLToPath(new URL('../bin/concord-verify.ts', import.meta.url));
  const file = (name: string) => fileURLToPath(new URL(name, FIXTURE));
  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, ...args], (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  const trustedArgs = [
    '--platform-keys',
    file('keyring.json'),
    '--checkpoint',
    file('kept-checkpoint.json'),
  ];

  it('exits 0 with VERIFIED and what was checked', async () => {
    const { code, stdout } = await run([file('bundle.json'), ...trustedArgs]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^VERIFIED: batch /);
    expect(stdout).toContain('✓ the log extends the kept checkpoint');
  });

  it('exits 1 naming the first broken link', async () => {
    const { code, stdout } = await run([
      file('tampered/deleted-renumbered-rechained.json'),
      ...trustedArgs,
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^NOT VERIFIED: batch .*\nfirst broken link \(kept-checkpoint\): /);
  });

  it('exits 2 when it cannot run', async () => {
    expect((await run([])).code).toBe(2);
    const missing = await run([file('no-such-bundle.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read the evidence bundle');
  });
});
