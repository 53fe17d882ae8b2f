import type { AgreementEvent, OrganizationEvent } from '@concord/domain';
import { rowKey } from './chunk-table.ts';
import type { Projection } from './projection.ts';
import { jsonOf, type AgreementRow, type OrganizationRow, type PersonRow } from './rows.ts';

/** The organization directory: organizations, and their people with their roles. */
export const organizationProjection: Projection<OrganizationEvent> = {
  streamKind: 'organization',
  async apply(organizationId, event, _stored, { tables }) {
    const change = projectOrganizationEvent(organizationId, event, (personId) =>
      tables.people.get(rowKey(organizationId, personId)),
    );
    if (change?.table === 'organization') tables.organizations.put(change.row);
    if (change?.table === 'person') tables.people.put(change.row);
  },
};

/** The quality agreements: the version in force now, and its termination. */
export const agreementProjection: Projection<AgreementEvent> = {
  streamKind: 'agreement',
  async apply(agreementId, event, _stored, { tables }) {
    const row = projectAgreementEvent(agreementId, tables.agreements.get(agreementId), event);
    if (row) tables.agreements.put(row);
  },
};

/** What an organization event changes: the organization's row, or one of its people. */
export type DirectoryChange =
  | { table: 'organization'; row: OrganizationRow }
  | { table: 'person'; row: PersonRow }
  | null;

/**
 * The organization directory: organizations and their people with their roles. `personOf` gives
 * the person's current row, if any.
 */
export function projectOrganizationEvent(
  organizationId: string,
  event: OrganizationEvent,
  personOf: (personId: string) => PersonRow | undefined,
): DirectoryChange {
  switch (event.type) {
    case 'concord.organization.registered.v1':
      return {
        table: 'organization',
        row: { id: organizationId, name: event.data.name, kind: event.data.kind },
      };
    case 'concord.organization.role-granted.v1': {
      const { personId, printedName, role } = event.data;
      const roles = [...(personOf(personId)?.roles ?? []), role];
      return personChange(organizationId, personId, printedName, roles);
    }
    case 'concord.organization.role-revoked.v1': {
      const { personId, role } = event.data;
      const person = personOf(personId);
      const roles = (person?.roles ?? []).filter((held) => held !== role);
      return personChange(organizationId, personId, person?.printed_name ?? personId, roles);
    }
    // Keys, administrators and partner systems are read from the organization's stream itself
    // (ingest's registry, the API's administration); the read model shows none of them.
    case 'concord.organization.signing-key-registered.v1':
    case 'concord.organization.signing-key-revoked.v1':
    case 'concord.organization.administrator-appointed.v1':
    case 'concord.organization.administrator-removed.v1':
    case 'concord.organization.partner-system-registered.v1':
    case 'concord.organization.api-key-issued.v1':
    case 'concord.organization.api-key-revoked.v1':
    case 'concord.organization.site-registered.v1':
    case 'concord.organization.product-registered.v1':
      return null;
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return null;
    }
  }
}

/** A person's row with their roles, each once, in order. */
function personChange(
  organizationId: string,
  personId: string,
  printedName: string,
  roles: readonly string[],
): DirectoryChange {
  return {
    table: 'person',
    row: {
      organization_id: organizationId,
      person_id: personId,
      printed_name: printedName,
      roles: [...new Set(roles)].sort(),
    },
  };
}

/** A quality agreement's row: the newest approved version, and its termination. */
export function projectAgreementEvent(
  agreementId: string,
  current: AgreementRow | undefined,
  event: AgreementEvent,
): AgreementRow | undefined {
  switch (event.type) {
    case 'concord.agreement.version-approved.v1':
    case 'concord.agreement.version-approved.v2': {
      const { version, sponsorId, cdmoId, products, responsibilities } = event.data;
      if (current && current.version >= version) return undefined;
      return {
        id: agreementId,
        version,
        sponsor_id: sponsorId,
        cdmo_id: cdmoId,
        products: products.map(({ productId, name }) => ({ productId, name })),
        responsibilities: jsonOf(responsibilities),
        notification_deadlines_hours: { ...event.data.notificationDeadlinesHours },
        effective_from: event.data.effectiveFrom,
        terminated_at: current?.terminated_at ?? null,
      };
    }
    case 'concord.agreement.terminated.v1':
      return current ? { ...current, terminated_at: event.data.effectiveAt } : undefined;
    // A draft and its signatures change nothing in force; the version approved does.
    case 'concord.agreement.version-drafted.v1':
    case 'concord.agreement.version-drafted.v2':
    case 'concord.agreement.version-signed.v1':
      return undefined;
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return undefined;
    }
  }
}
