import { describe, expect, it } from 'vitest';
import type { OrganizationEvent } from '../events/organization-events.ts';
import { foldOrganization, keyValidAt } from './organization-directory.ts';

const ORG = 'cdmo-x';
const events: OrganizationEvent[] = [
  {
    type: 'concord.organization.signing-key-registered.v1',
    data: {
      organizationId: ORG,
      keyId: 'k-early',
      algorithm: 'Ed25519',
      publicKey: 'pk',
      validFrom: '2026-01-01T00:00:00Z',
    },
  },
  {
    type: 'concord.organization.registered.v1',
    data: { organizationId: ORG, name: 'CDMO X', kind: 'cdmo' },
  },
  {
    type: 'concord.organization.signing-key-registered.v1',
    data: {
      organizationId: ORG,
      keyId: 'k-1',
      algorithm: 'Ed25519',
      publicKey: 'pk1',
      validFrom: '2026-02-01T00:00:00Z',
    },
  },
  {
    type: 'concord.organization.signing-key-revoked.v1',
    data: {
      organizationId: ORG,
      keyId: 'k-1',
      revokedAt: '2026-03-01T00:00:00Z',
      reason: 'Rotated.',
    },
  },
  {
    type: 'concord.organization.role-granted.v1',
    data: { organizationId: ORG, personId: 'p-1', printedName: 'Dr. A. Example', role: 'qa' },
  },
  {
    type: 'concord.organization.role-granted.v1',
    data: { organizationId: ORG, personId: 'p-1', printedName: 'Dr. A. Example', role: 'qp' },
  },
  {
    type: 'concord.organization.role-revoked.v1',
    data: { organizationId: ORG, personId: 'p-1', role: 'qa', reason: 'Moved to QP.' },
  },
];

describe('the organization directory', () => {
  it('knows nothing before the organization is registered, then its keys and its people', () => {
    expect(foldOrganization(events.slice(0, 1))).toBeUndefined();
    const directory = foldOrganization(events)!;
    expect(directory).toMatchObject({ organizationId: ORG, name: 'CDMO X', kind: 'cdmo' });
    expect([...directory.keys.keys()]).toEqual(['k-1']);
    expect(directory.people.get('p-1')).toEqual({
      printedName: 'Dr. A. Example',
      roles: new Set(['qp']),
    });
  });

  it('holds a key valid from its start until the instant it was revoked', () => {
    const directory = foldOrganization(events)!;
    expect(keyValidAt(directory, 'k-1', '2026-01-31T23:59:59Z')).toBeUndefined();
    expect(keyValidAt(directory, 'k-1', '2026-02-01T00:00:00Z')?.keyId).toBe('k-1');
    expect(keyValidAt(directory, 'k-1', '2026-02-28T23:59:59Z')?.keyId).toBe('k-1');
    expect(keyValidAt(directory, 'k-1', '2026-03-01T00:00:00Z')).toBeUndefined();
    expect(keyValidAt(directory, 'k-unknown', '2026-02-15T00:00:00Z')).toBeUndefined();
  });
});
