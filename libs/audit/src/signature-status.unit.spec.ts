import { InMemoryEventStore, type RecordedEvent } from '@concord/event-store';
import type { OrganizationDirectory } from '@concord/domain';
import { CDMO } from '@concord/ingest/test-support';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditFacts } from './audit-facts.ts';
import {
  describeSignatureStatus,
  isSignatureProblem,
  signatureStatusOf,
} from './signature-status.ts';
import { recordBatchStory, type BatchStory } from './test-support/batch-story.ts';

describe('the signature status of a stored event', () => {
  let story: BatchStory;
  let events: RecordedEvent[];
  let facts: AuditFacts;
  const byId = (id: string) => events.find((event) => event.id === id)!;
  const statusOf = (event: RecordedEvent, directoryOf = facts.directoryOf) =>
    signatureStatusOf(event, directoryOf);
  /** A copy of an event changed as a tamperer would change the stored row. */
  const altered = (event: RecordedEvent, change: (copy: RecordedEvent) => void) => {
    const copy = structuredClone(event);
    change(copy);
    return copy;
  };
  const flipped = (base64: string) => {
    const bytes = Buffer.from(base64, 'base64');
    bytes[5] = bytes[5]! ^ 0x01;
    return bytes.toString('base64');
  };
  // Ingest stores the partner's signature as the base64 text it arrived as (the store's metadata
  // type still describes an object).
  const setSignature = (event: RecordedEvent, signature: string) =>
    Object.assign(event.metadata, { signature });
  const envelopeOf = (event: RecordedEvent) => event.metadata.envelope as Record<string, unknown>;

  beforeAll(async () => {
    story = await recordBatchStory(async (clock) => new InMemoryEventStore({ clock }));
    events = [
      ...(await story.store.readStream(`batch-${story.batchId}`)),
      ...(await story.store.readStream(`deviation-${story.deviationId}`)),
    ];
    facts = new AuditFacts(story.store);
    await facts.organizationsOf(events);
  });

  it("proves a partner's event with its Ed25519 signature and the key valid when it occurred", () => {
    expect(statusOf(byId(story.ids.qcResult))).toEqual({
      status: 'valid',
      keyId: `${CDMO}:2026-01`,
    });
    // The correction is verified over the partner's data as signed, not as the domain resolved it.
    expect(statusOf(byId(story.ids.correction)).status).toBe('valid');
  });

  it("tells a person's act through the API, and the platform's own and derived events", () => {
    expect(statusOf(byId(story.ids.certification))).toMatchObject({
      status: 'e-signature-only',
      printedName: 'Dr. Katarzyna Nowak',
      meaning: 'responsibility',
    });
    const late = byId(`${story.ids.deviationReported}:late`);
    expect(statusOf(late)).toEqual({
      status: 'platform',
      derivedFrom: story.ids.deviationReported,
      platformKeyId: null,
    });
    const link = events.find((event) => event.type === 'concord.batch.deviation-linked.v1')!;
    expect(statusOf(link)).toEqual({
      status: 'platform',
      derivedFrom: story.ids.deviationReported,
      platformKeyId: null,
    });
  });

  it('finds a changed value, a flipped signature byte and a re-labelled event invalid', () => {
    const qc = byId(story.ids.qcResult);
    const changedValue = altered(qc, (copy) => (copy.data.value = 99.9));
    expect(statusOf(changedValue)).toMatchObject({
      status: 'invalid',
      problem: expect.stringMatching(/does not verify/),
    });
    const flippedEverywhere = altered(qc, (copy) => {
      const signature = flipped(String(copy.metadata.signature));
      setSignature(copy, signature);
      envelopeOf(copy).signature = signature;
    });
    expect(statusOf(flippedEverywhere)).toMatchObject({ status: 'invalid' });
    const flippedInMetadata = altered(qc, (copy) => {
      setSignature(copy, flipped(String(copy.metadata.signature)));
    });
    expect(statusOf(flippedInMetadata)).toMatchObject({
      status: 'invalid',
      problem: 'the stored signature differs from the one the partner signed',
    });
    const otherActor = altered(qc, (copy) => (copy.metadata.actorid = 'nb-p-0409'));
    expect(statusOf(otherActor)).toMatchObject({ status: 'invalid', problem: /actorid/ });
    const relabelled = altered(
      qc,
      (copy) => (copy.id = 'ev-0000000000000000000000000000000000000000'),
    );
    expect(statusOf(relabelled)).toMatchObject({ status: 'invalid', problem: /event id/ });
    const noEnvelope = altered(qc, (copy) => delete copy.metadata.envelope);
    expect(statusOf(noEnvelope)).toMatchObject({ status: 'invalid', problem: /envelope/ });
  });

  it('refuses a key that was revoked, not yet valid, unknown or of an unregistered organization', () => {
    const qc = byId(story.ids.qcResult);
    const cdmo = facts.directoryOf(CDMO)!;
    const withKey = (key: Partial<{ validFrom: string; revokedAt: string }>) => {
      const directory: OrganizationDirectory = { ...cdmo, keys: new Map(cdmo.keys) };
      const [keyId, current] = [...cdmo.keys.entries()][0]!;
      directory.keys.set(keyId, { ...current, ...key });
      return (organizationId: string) => (organizationId === CDMO ? directory : undefined);
    };
    expect(statusOf(qc, withKey({ revokedAt: '2026-04-01T00:00:00Z' }))).toMatchObject({
      status: 'key-not-valid',
      problem: /revoked at 2026-04-01T00:00:00Z, before the event occurred/,
    });
    // Revoked after the event: what it signed before stays valid.
    expect(statusOf(qc, withKey({ revokedAt: '2026-05-01T00:00:00Z' })).status).toBe('valid');
    expect(statusOf(qc, withKey({ validFrom: '2026-06-01T00:00:00Z' }))).toMatchObject({
      status: 'key-not-valid',
      problem: /valid only from 2026-06-01T00:00:00Z/,
    });
    const unknownKey = altered(qc, (copy) => {
      copy.metadata.signaturekeyid = `${CDMO}:stolen`;
      envelopeOf(copy).signaturekeyid = `${CDMO}:stolen`;
    });
    expect(statusOf(unknownKey)).toMatchObject({
      status: 'key-not-valid',
      problem: `${CDMO}:stolen is not a registered key of ${CDMO}`,
    });
    expect(statusOf(qc, () => undefined)).toMatchObject({
      status: 'key-not-valid',
      problem: `${CDMO} is not registered`,
    });
  });

  it("calls a partner's event without any proof of origin unsigned", () => {
    const stripped = altered(byId(story.ids.qcResult), (copy) => {
      delete copy.metadata.signature;
      delete copy.metadata.signaturekeyid;
    });
    expect(statusOf(stripped).status).toBe('unsigned');
    // An e-signature does not stand in for a partner system's key outside the API.
    const disposition = altered(byId(story.ids.disposition), (copy) => {
      delete copy.metadata.signature;
      delete copy.metadata.signaturekeyid;
    });
    const status = statusOf(disposition);
    expect(status.status).toBe('unsigned');
    expect(isSignatureProblem(status)).toBe(true);
    expect(describeSignatureStatus(status)).toMatch(/^UNSIGNED: /);
  });
});
