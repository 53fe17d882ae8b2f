import { randomUUID } from 'node:crypto';
import { decorateStore, InMemoryEventStore, type EventStore } from '@concord/event-store';
import { beforeEach, describe, expect, it } from 'vitest';
import { Registry, streams } from './registry.ts';
import {
  AGREEMENT,
  CDMO,
  OTHER_AGREEMENT,
  OTHER_CDMO,
  SPONSOR,
  seedPartnerWorld,
} from './test-support/partner-world.ts';

/** The store, counting reads of organization and agreement streams. */
function counting(target: EventStore) {
  const calls = { readStream: 0, readStreamsFrom: 0, fromVersions: [] as number[] };
  const counted = decorateStore(target, {
    readStream: (streamId, options) => {
      if (!streamId.startsWith('batch-') && !streamId.startsWith('deviation-')) calls.readStream++;
      return target.readStream(streamId, options);
    },
    readStreamsFrom: (requests) => {
      calls.readStreamsFrom++;
      calls.fromVersions.push(...requests.map((request) => request.fromVersion));
      return target.readStreamsFrom(requests);
    },
  });
  return { counted, calls };
}

describe('Registry', () => {
  let store: InMemoryEventStore;
  beforeEach(async () => {
    store = new InMemoryEventStore();
    await seedPartnerWorld(store, { secondPair: true });
  });

  it('reads the directories and agreements asked for in the same turn in one read', async () => {
    const { counted, calls } = counting(store);
    const registry = new Registry(counted);
    const [sponsor, cdmo, agreement, other] = await Promise.all([
      registry.organization(SPONSOR),
      registry.organization(CDMO),
      registry.agreementHistory(AGREEMENT),
      registry.agreementHistory(OTHER_AGREEMENT),
    ]);
    expect(calls).toMatchObject({ readStream: 0, readStreamsFrom: 1 });
    // What a registry reading each stream whole answers.
    const whole = new Registry(store);
    expect(sponsor).toEqual(await whole.organization(SPONSOR));
    expect(cdmo).toEqual(await whole.organization(CDMO));
    expect(agreement.parties).toEqual((await whole.agreementHistory(AGREEMENT)).parties);
    expect(other.parties).toEqual({ sponsorId: expect.any(String), cdmoId: OTHER_CDMO });
    expect(agreement.at('2026-06-01T00:00:00Z')).toEqual(
      (await whole.agreementHistory(AGREEMENT)).at('2026-06-01T00:00:00Z'),
    );
  });

  it('sees what was appended since its last read, reading only that', async () => {
    const { counted, calls } = counting(store);
    const registry = new Registry(counted);
    const before = await registry.organization(CDMO);
    const version = (await store.readStream(streams.organization(CDMO))).length;
    expect(before?.people.has('new-analyst')).toBe(false);
    await store.append(streams.organization(CDMO), [
      {
        id: randomUUID(),
        type: 'concord.organization.role-granted.v1',
        data: {
          organizationId: CDMO,
          personId: 'new-analyst',
          printedName: 'N. Analyst',
          role: 'qa',
        },
        metadata: { actorid: 'platform', actororg: 'concord' },
      },
    ]);
    const after = await registry.organization(CDMO);
    expect(after?.people.get('new-analyst')?.roles).toEqual(new Set(['qa']));
    expect(after).toEqual(await new Registry(store).organization(CDMO));
    // The second read asked only for what follows the version it had.
    expect(calls.fromVersions).toEqual([1, version + 1]);
  });

  it('answers an organization or agreement that does not exist yet, and sees it once it does', async () => {
    const registry = new Registry(store);
    expect(await registry.organization('not-yet-bio')).toBeUndefined();
    expect((await registry.agreementHistory('qa-not-yet')).parties).toBeUndefined();
    await store.append(streams.organization('not-yet-bio'), [
      {
        id: randomUUID(),
        type: 'concord.organization.registered.v1',
        data: { organizationId: 'not-yet-bio', name: 'Not Yet Bio', kind: 'cdmo' },
        metadata: { actorid: 'platform', actororg: 'concord' },
      },
    ]);
    expect((await registry.organization('not-yet-bio'))?.organizationId).toBe('not-yet-bio');
  });
});
