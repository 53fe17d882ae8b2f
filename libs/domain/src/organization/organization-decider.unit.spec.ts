import { describe, expect, it } from 'vitest';
import type { OrganizationEvent } from '../events/organization-events.ts';
import type { CommandMetadata } from '../shared/command.ts';
import { isDomainError } from '../shared/domain-error.ts';
import {
  organizationDecider,
  type OrganizationCommand,
  type OrganizationState,
  type SigningKeyProof,
} from './organization-decider.ts';
import { apiKeyRefusalAt } from './organization-directory.ts';

const ORG = 'cdmo-x';
const NOW = '2026-03-01T10:00:00Z';
const operator = { personId: 'ops-1', organizationId: 'concord', roles: [] };
const admin = { personId: 'p-admin', organizationId: ORG, roles: [] };
const outsider = { personId: 'p-out', organizationId: 'sponsor-y', roles: [] };
const member = { personId: 'p-qa', organizationId: ORG, roles: [] };

let sequence = 0;
function metadata(actor: CommandMetadata['actor'], at = NOW): CommandMetadata {
  return { eventId: `e-${++sequence}`, actor, occurredAt: at, recordedAt: at };
}

function command<Type extends OrganizationCommand['type']>(
  type: Type,
  data: Extract<OrganizationCommand, { type: Type }>['data'],
  actor: CommandMetadata['actor'] = admin,
  at = NOW,
): OrganizationCommand {
  return { type, data, metadata: metadata(actor, at), context: {} } as OrganizationCommand;
}

/** Decides each command in turn against the state the previous ones left. */
function run(commands: readonly OrganizationCommand[], from?: OrganizationState) {
  let state = from ?? organizationDecider.initialState();
  const events: OrganizationEvent[] = [];
  for (const next of commands) {
    for (const event of organizationDecider.decide(next, state)) {
      events.push(event);
      state = organizationDecider.evolve(state, event);
    }
  }
  return { state, events };
}

function refusal(commandToTry: OrganizationCommand, state: OrganizationState): string {
  try {
    organizationDecider.decide(commandToTry, state);
  } catch (error) {
    if (isDomainError(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

const onboarded = () =>
  run([
    command(
      'concord.organization.registered.v1',
      { organizationId: ORG, name: 'CDMO X', kind: 'cdmo' },
      operator,
    ),
    command(
      'concord.organization.administrator-appointed.v1',
      { organizationId: ORG, personId: admin.personId, printedName: 'Ada Admin' },
      operator,
    ),
    command('concord.organization.partner-system-registered.v1', {
      organizationId: ORG,
      systemId: 'erp',
      name: 'ERP',
    }),
  ]).state;

const issue = (keyId: string, expiresAt = '2026-09-01T00:00:00Z', at = NOW) =>
  command(
    'concord.organization.api-key-issued.v1',
    {
      organizationId: ORG,
      systemId: 'erp',
      keyId,
      sha256: 'a'.repeat(64),
      roles: ['analyst'],
      expiresAt,
    },
    admin,
    at,
  );

describe('the organization decider', () => {
  it('lets only an operator register an organization, once', () => {
    const register = (actor: CommandMetadata['actor']) =>
      command(
        'concord.organization.registered.v1',
        { organizationId: ORG, name: 'CDMO X', kind: 'cdmo' },
        actor,
      );
    expect(refusal(register(admin), undefined)).toBe('authorization.not-administrator');
    expect(refusal(register(operator), undefined)).toBe('accepted');
    expect(refusal(register(operator), onboarded())).toBe('organization.already-registered');
  });

  it('records what its administrators and operators do, with who did it, and refuses anyone else', () => {
    const state = onboarded();
    const grant = (actor: CommandMetadata['actor']) =>
      command(
        'concord.organization.role-granted.v1',
        { organizationId: ORG, personId: 'p-qa', printedName: 'Quinn QA', role: 'qa' },
        actor,
      );
    expect(refusal(grant(outsider), state)).toBe('authorization.not-administrator');
    // A member of the organization who is not its administrator administers nothing.
    expect(refusal(grant(member), state)).toBe('authorization.not-administrator');
    const [event] = organizationDecider.decide(grant(admin), state);
    expect(event?.metadata).toMatchObject({ actorid: 'p-admin', actororg: ORG, time: NOW });
    expect(refusal(grant(operator), state)).toBe('accepted');
    const after = organizationDecider.evolve(state, event!);
    expect(refusal(grant(admin), after)).toBe('organization.role-already-held');
    // The state a command was decided against is left as it was.
    expect(state?.people.has('p-qa')).toBe(false);
  });

  it('refuses what needs a registered organization before it is registered', () => {
    expect(
      refusal(
        command(
          'concord.organization.partner-system-registered.v1',
          { organizationId: ORG, systemId: 'erp', name: 'ERP' },
          operator,
        ),
        undefined,
      ),
    ).toBe('organization.not-registered');
  });

  it('keeps an administrator: the last cannot remove themselves, the operator can', () => {
    const state = onboarded();
    const remove = (actor: CommandMetadata['actor']) =>
      command(
        'concord.organization.administrator-removed.v1',
        { organizationId: ORG, personId: admin.personId, reason: 'Left the company.' },
        actor,
      );
    expect(refusal(remove(admin), state)).toBe('organization.last-administrator');
    const { state: removed } = run([remove(operator)], state);
    expect(removed?.administrators.size).toBe(0);
    // Removed, they administer nothing any more.
    expect(refusal(issue('k-2'), removed)).toBe('authorization.not-administrator');
  });

  it('registers its sites and products, each once, on its administrator’s or an operator’s word', () => {
    const site = command('concord.organization.site-registered.v1', {
      organizationId: ORG,
      siteId: 'cork',
      name: 'Cork plant',
      country: 'IE',
    });
    const product = command(
      'concord.organization.product-registered.v1',
      { organizationId: ORG, productId: 'prd-x1', name: 'X-1' },
      operator,
    );
    const { state } = run([site, product], onboarded());
    expect(state?.sites.get('cork')).toMatchObject({ name: 'Cork plant', country: 'IE' });
    expect(state?.products.get('prd-x1')).toMatchObject({ name: 'X-1' });
    expect(refusal(site, state)).toBe('organization.site-already-registered');
    expect(refusal(product, state)).toBe('organization.product-already-registered');
    const byOutsider = command(
      'concord.organization.site-registered.v1',
      { organizationId: ORG, siteId: 'lab', name: 'Lab', country: 'IE' },
      outsider,
    );
    expect(refusal(byOutsider, state)).toBe('authorization.not-administrator');
  });

  it('issues API keys to registered systems only, unique, for at most a year', () => {
    const state = onboarded();
    expect(refusal(issue('k-1'), state)).toBe('accepted');
    const unknownSystem = command('concord.organization.api-key-issued.v1', {
      organizationId: ORG,
      systemId: 'lims',
      keyId: 'k-1',
      sha256: 'a'.repeat(64),
      roles: ['analyst'],
      expiresAt: '2026-09-01T00:00:00Z',
    });
    expect(refusal(unknownSystem, state)).toBe('organization.unknown-system');
    expect(refusal(issue('k-1', NOW), state)).toBe('organization.api-key-lifetime');
    expect(refusal(issue('k-1', '2027-03-03T10:00:00Z'), state)).toBe(
      'organization.api-key-lifetime',
    );
    const { state: issued } = run([issue('k-1')], state);
    expect(refusal(issue('k-1'), issued)).toBe('organization.api-key-exists');
  });

  it('accepts a key until it expires or is revoked, and a revocation is never backdated', () => {
    const { state } = run([issue('k-1')], onboarded());
    expect(apiKeyRefusalAt(state!, 'k-1', NOW)).toBeUndefined();
    expect(apiKeyRefusalAt(state!, 'k-1', '2026-09-01T00:00:00Z')).toBe('expired');
    expect(apiKeyRefusalAt(state!, 'k-9', NOW)).toBe('unknown');
    const revoke = (revokedAt: string) =>
      command('concord.organization.api-key-revoked.v1', {
        organizationId: ORG,
        systemId: 'erp',
        keyId: 'k-1',
        revokedAt,
        reason: 'Leaked in a ticket.',
      });
    expect(refusal(revoke('2026-03-01T09:59:59Z'), state)).toBe(
      'organization.revocation-in-the-past',
    );
    const { state: revoked } = run([revoke('2026-03-02T00:00:00Z')], state);
    expect(apiKeyRefusalAt(revoked!, 'k-1', '2026-03-01T23:59:59Z')).toBeUndefined();
    expect(apiKeyRefusalAt(revoked!, 'k-1', '2026-03-02T00:00:00Z')).toBe('revoked');
    expect(refusal(revoke('2026-03-03T00:00:00Z'), revoked)).toBe('organization.api-key-revoked');
  });
});

describe('signing keys, changed only on the organization’s own proof', () => {
  const adminSignature = {
    signerId: admin.personId,
    printedName: 'Ada Admin',
    signedAt: NOW,
    meaning: 'approval' as const,
    reason: 'Our new HSM key',
  };
  const registerKey = (
    keyId: string,
    proof: SigningKeyProof,
    actor: CommandMetadata['actor'] = admin,
    validFrom = NOW,
  ): OrganizationCommand => ({
    type: 'concord.organization.signing-key-registered.v1',
    data: { organizationId: ORG, keyId, algorithm: 'Ed25519', publicKey: 'pk', validFrom },
    metadata: metadata(actor),
    context: { proof },
  });
  const revokeKey = (
    keyId: string,
    proof: SigningKeyProof,
    revokedAt = NOW,
  ): OrganizationCommand => ({
    type: 'concord.organization.signing-key-revoked.v1',
    data: { organizationId: ORG, keyId, revokedAt, reason: 'Rotated' },
    metadata: metadata(admin),
    context: { proof },
  });
  const byAdministrator = { method: 'administrator-signature', signature: adminSignature } as const;

  it('takes the first key on its administrator’s e-signature, never on an operator’s word', () => {
    const state = onboarded();
    expect(refusal(registerKey('k-1', byAdministrator), state)).toBe('accepted');
    // The operator is no administrator of the organization and holds none of its keys.
    const operatorSigned = {
      method: 'administrator-signature',
      signature: { ...adminSignature, signerId: operator.personId },
    } as const;
    expect(refusal(registerKey('k-1', operatorSigned, operator), state)).toBe(
      'organization.key-proof-refused',
    );
    expect(
      refusal(
        registerKey('k-1', {
          ...byAdministrator,
          signature: { ...adminSignature, printedName: 'Someone' },
        }),
        state,
      ),
    ).toBe('signature.printed-name-mismatch');
    expect(
      refusal(
        registerKey('k-1', {
          ...byAdministrator,
          signature: { ...adminSignature, meaning: 'review' },
        }),
        state,
      ),
    ).toBe('signature.wrong-meaning');
    expect(refusal(registerKey('k-1', { method: 'held-key', keyId: 'k-0' }), state)).toBe(
      'organization.key-proof-refused',
    );
  });

  it('rotates with overlap: a held key proves the next, which is valid from now, and the old is revoked from a stated instant', () => {
    const { state } = run([registerKey('k-1', byAdministrator)], onboarded());
    expect(refusal(registerKey('k-2', { method: 'held-key', keyId: 'k-2' }), state)).toBe(
      'organization.key-proof-refused',
    );
    expect(
      refusal(
        registerKey('k-2', { method: 'held-key', keyId: 'k-1' }, admin, '2026-02-01T00:00:00Z'),
        state,
      ),
    ).toBe('organization.signing-key-backdated');
    expect(refusal(registerKey('k-1', { method: 'held-key', keyId: 'k-1' }), state)).toBe(
      'organization.key-proof-refused',
    );
    const { state: rotated } = run(
      [
        registerKey('k-2', { method: 'held-key', keyId: 'k-1' }),
        revokeKey('k-1', { method: 'held-key', keyId: 'k-2' }, '2026-03-08T00:00:00Z'),
      ],
      state,
    );
    expect(rotated?.keys.get('k-1')?.revokedAt).toBe('2026-03-08T00:00:00Z');
    expect(refusal(revokeKey('k-1', byAdministrator, '2026-03-09T00:00:00Z'), rotated)).toBe(
      'organization.signing-key-revoked',
    );
    expect(refusal(revokeKey('k-2', byAdministrator, '2026-02-01T00:00:00Z'), rotated)).toBe(
      'organization.revocation-in-the-past',
    );
    expect(refusal(revokeKey('k-9', byAdministrator), rotated)).toBe(
      'organization.unknown-signing-key',
    );
  });
});
