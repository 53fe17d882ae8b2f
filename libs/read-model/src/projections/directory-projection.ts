import type { AgreementEvent, OrganizationEvent } from '@concord/domain';
import { jsonOf, type AgreementRow, type OrganizationRow, type PersonRow } from './rows.ts';

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
      const person = personOf(personId);
      return {
        table: 'person',
        row: {
          organization_id: organizationId,
          person_id: personId,
          printed_name: printedName,
          roles: [...new Set([...(person?.roles ?? []), role])].sort(),
        },
      };
    }
    case 'concord.organization.role-revoked.v1': {
      const { personId, role } = event.data;
      const person = personOf(personId);
      return {
        table: 'person',
        row: {
          organization_id: organizationId,
          person_id: personId,
          printed_name: person?.printed_name ?? personId,
          roles: (person?.roles ?? []).filter((held) => held !== role).sort(),
        },
      };
    }
    // Keys are the ingest registry's concern; the read model shows no keys.
    case 'concord.organization.signing-key-registered.v1':
    case 'concord.organization.signing-key-revoked.v1':
      return null;
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return null;
    }
  }
}

/** A quality agreement's row: the newest approved version, and its termination. */
export function projectAgreementEvent(
  agreementId: string,
  current: AgreementRow | undefined,
  event: AgreementEvent,
): AgreementRow | undefined {
  switch (event.type) {
    case 'concord.agreement.version-approved.v1': {
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
    default: {
      // Reached by no type of the union (the compiler checks); anything else states nothing.
      const unhandled: never = event;
      void unhandled;
      return undefined;
    }
  }
}
