import type { OrganizationKind, Role } from '@concord/contract';
import { WORLD_ORGANIZATIONS } from '@concord/contract/world';

/**
 * A person the start command can mint a token for. `name` repeats the printed name under the
 * name the development issuer's claims use, so a persona can be passed to it as it is.
 */
export interface DemoPersona {
  organizationId: string;
  personId: string;
  printedName: string;
  name: string;
  roles: Role[];
}

export interface DemoOrganizationPersonas {
  organizationId: string;
  organizationName: string;
  kind: OrganizationKind;
  /** The one to put on the start banner: the organization's QA person. */
  primary: DemoPersona;
  /** Everyone, one per role (qa, qp, qc, production, analyst, auditor). */
  people: DemoPersona[];
}

/** The demo organizations and their people, for ready-made tokens and the docs. */
export function demoPersonas(): DemoOrganizationPersonas[] {
  return WORLD_ORGANIZATIONS.map(({ organizationId, name, kind, people }) => {
    const personas = people.map(
      (person): DemoPersona => ({
        organizationId,
        personId: person.personId,
        printedName: person.printedName,
        name: person.printedName,
        roles: [person.role],
      }),
    );
    return {
      organizationId,
      organizationName: name,
      kind,
      primary: personas.find((persona) => persona.roles.includes('qa'))!,
      people: personas,
    };
  });
}
