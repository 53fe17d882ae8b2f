import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Hex } from '@concord/auth';
import { eventTypes, isEventType, validateEventData } from '@concord/contract';
import { exampleEvent } from '@concord/contract/examples';
import { InMemoryEventStore } from '@concord/event-store';
import { Registry } from '@concord/ingest';
import { describe, expect, it } from 'vitest';
import { demoApiKeyRecords, loadOrCreateDemoKeys, type DemoKeys } from './demo-keys.ts';
import { demoPersonas } from './demo-personas.ts';
import { WORLD_ORGANIZATIONS, WORLD_PARTNERSHIPS } from '@concord/contract/world';
import { nextNumber, type NumberSeries } from './feed/numbering.ts';
import { seedDemoWorld } from './seed-demo-world.ts';

const ROLES = ['analyst', 'auditor', 'production', 'qa', 'qc', 'qp'];
const keysFile = () => join(mkdtempSync(join(tmpdir(), 'demo-keys-')), 'data', 'demo-keys.json');

describe('demo keys', () => {
  it('are created once, kept readable by the owner only, and read back unchanged', async () => {
    const file = keysFile();
    const created = await loadOrCreateDemoKeys(file);
    expect(Object.keys(created.organizations).sort()).toEqual(
      WORLD_ORGANIZATIONS.map((org) => org.organizationId).sort(),
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateDemoKeys(file)).toEqual(created);
  });

  it('gain the keys of an organization the file does not hold yet, and keep the others', async () => {
    const file = keysFile();
    const created = await loadOrCreateDemoKeys(file);
    const { 'aurora-bio': _dropped, ...others } = created.organizations;
    writeFileSync(file, JSON.stringify({ ...created, organizations: others }));
    const completed = await loadOrCreateDemoKeys(file);
    expect(completed.organizations['helvion-tx']).toEqual(created.organizations['helvion-tx']);
    expect(completed.organizations['aurora-bio']?.signingKey.publicKey).not.toBe(
      created.organizations['aurora-bio']?.signingKey.publicKey,
    );
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(completed);
  });

  it('refuse a file that is not a keys file', async () => {
    const file = keysFile();
    await loadOrCreateDemoKeys(file);
    writeFileSync(file, '{"hello":"world"}');
    await expect(loadOrCreateDemoKeys(file)).rejects.toThrow(/not a demo keys file/);
  });

  it('give the Authenticator one API key digest per organization', async () => {
    const keys = await loadOrCreateDemoKeys(keysFile());
    const records = demoApiKeyRecords(keys);
    expect(records).toHaveLength(WORLD_ORGANIZATIONS.length);
    for (const record of records) {
      expect(record.sha256).toBe(sha256Hex(keys.organizations[record.organizationId]!.apiKey));
      expect(record.systemId).toBe('demo-feed');
    }
  });
});

describe('seedDemoWorld', () => {
  async function seeded(keys?: DemoKeys) {
    const store = new InMemoryEventStore();
    const demoKeys = keys ?? (await loadOrCreateDemoKeys(keysFile()));
    const first = await seedDemoWorld(store, { keys: demoKeys });
    return { store, keys: demoKeys, first };
  }

  it('records organizations, people in every role, signing keys and agreements the contract accepts', async () => {
    const { store, keys, first } = await seeded();
    const everything = await store.readAll({ maxCount: 10_000 });
    expect(first.appended).toBe(everything.length);
    for (const event of everything) {
      expect(isEventType(event.type)).toBe(true);
      if (!isEventType(event.type)) continue;
      expect(validateEventData(event.type, event.data).ok, event.type).toBe(true);
    }
    const registry = new Registry(store);
    for (const { organizationId, name } of WORLD_ORGANIZATIONS) {
      const directory = (await registry.organization(organizationId))!;
      expect(directory.name).toBe(name);
      const roles = [...directory.people.values()].flatMap((person) => [...person.roles]);
      expect(roles.sort()).toEqual(ROLES);
      const { keyId, publicKey } = keys.organizations[organizationId]!.signingKey;
      expect(directory.keys.get(keyId)?.publicKey).toBe(publicKey);
    }
    for (const partnership of WORLD_PARTNERSHIPS) {
      const agreement = await registry.agreementAt(
        partnership.agreementId,
        new Date().toISOString(),
      );
      expect(agreement?.sponsorId).toBe(partnership.sponsorId);
      expect(agreement?.notificationDeadlinesHours).toEqual(partnership.notificationDeadlinesHours);
    }
    // The first agreement has a history: 120 h for a major deviation before its second version.
    const before = await registry.agreementAt('qa-htx-nb-2026', '2025-06-01T00:00:00Z');
    expect(before?.notificationDeadlinesHours.major).toBe(120);
    expect(await store.verify('all')).toMatchObject({ ok: true });
  });

  it('appends nothing the second time', async () => {
    const { store, keys } = await seeded();
    const head = await store.headPosition();
    expect(await seedDemoWorld(store, { keys })).toEqual({ appended: 0 });
    expect(await store.headPosition()).toBe(head);
  });

  it('registers new keys beside the old ones when the keys file was lost', async () => {
    const { store } = await seeded();
    const fresh = await loadOrCreateDemoKeys(keysFile());
    expect(await seedDemoWorld(store, { keys: fresh })).toEqual({
      appended: WORLD_ORGANIZATIONS.length,
    });
    const directory = (await new Registry(store).organization('northbridge-bio'))!;
    expect(directory.keys.size).toBe(2);
    expect(directory.people.size).toBe(6);
  });
});

describe('demoPersonas', () => {
  it('names everyone the seed grants a role, with the QA person first for the banner', () => {
    const personas = demoPersonas();
    expect(personas.map((org) => org.organizationId)).toEqual(
      WORLD_ORGANIZATIONS.map((org) => org.organizationId),
    );
    for (const org of personas) {
      expect(org.primary.roles).toEqual(['qa']);
      expect(org.people.flatMap((person) => person.roles).sort()).toEqual(ROLES);
      for (const person of org.people) {
        expect(person.organizationId).toBe(org.organizationId);
        expect(person.name).toBe(person.printedName);
      }
    }
    expect(personas.find((org) => org.organizationId === 'helvion-tx')?.primary).toEqual({
      organizationId: 'helvion-tx',
      personId: 'htx-p-0021',
      printedName: 'Dr. Lena Vogel',
      name: 'Dr. Lena Vogel',
      roles: ['qa'],
    });
  });
});

describe('nextNumber', () => {
  it('follows the clock in tenths of a second, and never repeats within a series', () => {
    const series: NumberSeries = {};
    const at = new Date('2026-11-25T14:32:07.250Z');
    const first = nextNumber(series, 'batch/HLV201', at);
    const second = nextNumber(series, 'batch/HLV201', at);
    const other = nextNumber(series, 'batch/AUR310', at);
    expect(first.year).toBe('26');
    expect(first.number).toMatch(/^[0-9A-Z]{6}$/);
    expect(parseInt(second.number, 36)).toBe(parseInt(first.number, 36) + 1);
    expect(other.number).toBe(first.number);
    // A new run, a second later and with no memory of the first, continues above it.
    const later = nextNumber({}, 'batch/HLV201', new Date(at.getTime() + 1_000));
    expect(parseInt(later.number, 36)).toBeGreaterThan(parseInt(second.number, 36));
  });
});

describe('the published examples', () => {
  it("name the demo's people as they are registered: role held, printed name as registered", () => {
    const registered = new Map(
      WORLD_ORGANIZATIONS.flatMap((organization) =>
        organization.people.map((person) => [person.personId, person] as const),
      ),
    );
    let checked = 0;
    for (const type of eventTypes) {
      const event = exampleEvent(type) as unknown as Record<string, unknown> & {
        data: Record<string, unknown>;
      };
      const actor = registered.get(String(event.actorid));
      if (actor) {
        expect(event.actorrole, `${type} actorrole`).toBe(actor.role);
        checked++;
      }
      const signatures = [
        event.data.signature,
        ...((event.data.signatures as unknown[] | undefined) ?? []),
        event.data.personId === undefined ? undefined : event.data,
      ].filter(Boolean) as { signerId?: string; personId?: string; printedName?: string }[];
      for (const signature of signatures) {
        const person = registered.get(String(signature.signerId ?? signature.personId));
        if (person === undefined || signature.printedName === undefined) continue;
        expect(signature.printedName, `${type} printed name`).toBe(person.printedName);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
