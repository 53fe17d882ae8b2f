// The reference world: the organizations, people, products and quality agreements that the
// published examples speak of, that the embedded demo seeds and that the tests seed. One world,
// so the names in an example, a test and the dashboard are the same people. Data only.
// Two sponsors and two CDMOs, each sponsor working with both CDMOs, so a CDMO's view spans two
// customers while a sponsor never sees the other sponsor's batches.
import type {
  AgreementVersionApprovedV1,
  OrganizationKind,
  Role,
} from './generated/schema-types.ts';

export const HELVION = 'helvion-tx';
export const NORTHBRIDGE = 'northbridge-bio';
export const AURORA = 'aurora-bio';
export const CALDERA = 'caldera-biologics';

export interface WorldPerson {
  personId: string;
  printedName: string;
  role: Role;
}

export interface WorldOrganization {
  organizationId: string;
  name: string;
  kind: OrganizationKind;
  /** One person per role: every role can be tried with a token. */
  people: readonly WorldPerson[];
}

const person = (personId: string, printedName: string, role: Role): WorldPerson => ({
  personId,
  printedName,
  role,
});

export const WORLD_ORGANIZATIONS: readonly WorldOrganization[] = [
  {
    organizationId: HELVION,
    name: 'Helvion Therapeutics AG',
    kind: 'sponsor',
    people: [
      person('htx-p-0021', 'Dr. Lena Vogel', 'qa'),
      person('htx-p-0034', 'Dr. Matthias Keller', 'qp'),
      person('htx-p-0042', 'Sandra Brunner', 'qc'),
      person('htx-p-0051', 'Luca Bernasconi', 'production'),
      person('htx-p-0063', 'Nina Huber', 'analyst'),
      person('htx-p-0078', 'Reto Zimmermann', 'auditor'),
    ],
  },
  {
    organizationId: NORTHBRIDGE,
    name: 'Northbridge Biologics Ltd',
    kind: 'cdmo',
    people: [
      person('nb-p-0147', 'Siobhán Murphy', 'qa'),
      person('nb-p-0409', 'Dr. Katarzyna Nowak', 'qp'),
      person('nb-p-0331', 'Aoife Byrne', 'qc'),
      person('nb-p-0212', 'Ciarán Walsh', 'production'),
      person('nb-p-0518', "Niamh O'Sullivan", 'analyst'),
      person('nb-p-0602', 'Brendan Kelly', 'auditor'),
    ],
  },
  {
    organizationId: AURORA,
    name: 'Aurora Bio AB',
    kind: 'sponsor',
    people: [
      person('aur-p-0001', 'Maya Lindqvist', 'qa'),
      person('aur-p-0007', 'Dr. Henrik Solberg', 'qp'),
      person('aur-p-0012', 'Elin Johansson', 'qc'),
      person('aur-p-0015', 'Oskar Nilsson', 'production'),
      person('aur-p-0021', 'Sara Ekström', 'analyst'),
      person('aur-p-0026', 'Johan Berg', 'auditor'),
    ],
  },
  {
    organizationId: CALDERA,
    name: 'Caldera Biologics Inc.',
    kind: 'cdmo',
    people: [
      person('cal-p-0103', 'Mei Tanaka', 'qa'),
      person('cal-p-0104', 'Dr. Grace Okafor', 'qp'),
      person('cal-p-0102', 'Priya Raman', 'qc'),
      person('cal-p-0101', 'Tomás Herrera', 'production'),
      person('cal-p-0105', 'Jordan Ellis', 'analyst'),
      person('cal-p-0106', 'Rebecca Lawson', 'auditor'),
    ],
  },
];

export function worldOrganization(organizationId: string): WorldOrganization {
  const found = WORLD_ORGANIZATIONS.find((org) => org.organizationId === organizationId);
  if (!found) throw new Error(`${organizationId} is not an organization of the reference world`);
  return found;
}

/** The person of an organization holding a role (every organization of the world has every role). */
export function worldPerson(organizationId: string, role: Role): WorldPerson {
  const found = worldOrganization(organizationId).people.find((p) => p.role === role);
  if (!found) throw new Error(`nobody at ${organizationId} holds the role ${role}`);
  return found;
}

/** What the feed needs to know about a product to make believable batches of it. */
export interface WorldProduct {
  productId: string;
  name: string;
  /** The product code in batch numbers, e.g. HLV201. */
  code: string;
  /** Decides the QC panel and the deviation stories. */
  form: 'sterile-injectable' | 'tablets' | 'capsules';
  unit: 'vials' | 'tablets' | 'capsules';
  plannedQuantity: number;
  /** Nominal strength, for the protein-content specification of biologics (mg/mL). */
  strengthMgPerMl?: number;
}

/** One sponsor/CDMO relationship under its quality agreement. */
export interface WorldPartnership {
  agreementId: string;
  sponsorId: string;
  cdmoId: string;
  product: WorldProduct;
  /** Who certifies (EU Annex 16) under this agreement. */
  certifiedBy: 'sponsor' | 'cdmo';
  /** Where the CDMO makes it, where it is shipped to. */
  site: string;
  destination: string;
  /** ISO country of the certifying QP's register (register entry ids). */
  qpRegister: string;
  /** Short code in deviation and CAPA ids, e.g. nb. */
  siteCode: string;
  notificationDeadlinesHours: { critical: number; major: number; minor: number };
}

const NORTHBRIDGE_SITE = 'Northbridge Biologics Cork Fill-Finish, Ringaskiddy, IE';
const CALDERA_SITE = 'Caldera Biologics oral solid dose plant, Durham NC, US';
const HELVION_DEPOT = 'Helvion Therapeutics central depot Basel, CH';
const AURORA_DEPOT = 'Aurora Bio distribution centre, Uppsala, SE';

export const WORLD_PARTNERSHIPS: readonly WorldPartnership[] = [
  {
    agreementId: 'qa-htx-nb-2026',
    sponsorId: HELVION,
    cdmoId: NORTHBRIDGE,
    product: {
      productId: 'prd-hlv-201',
      name: 'Velarimab 150 mg/mL solution for injection (HLV-201)',
      code: 'HLV201',
      form: 'sterile-injectable',
      unit: 'vials',
      plannedQuantity: 24_000,
      strengthMgPerMl: 150,
    },
    // An EU site: the CDMO's QP certifies.
    certifiedBy: 'cdmo',
    site: NORTHBRIDGE_SITE,
    destination: HELVION_DEPOT,
    qpRegister: 'IE',
    siteCode: 'nb',
    notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
  },
  {
    agreementId: 'qa-aur-cal-2026',
    sponsorId: AURORA,
    cdmoId: CALDERA,
    product: {
      productId: 'prd-aur-310',
      name: 'Solvarinib 25 mg film-coated tablets (AUR-310)',
      code: 'AUR310',
      form: 'tablets',
      unit: 'tablets',
      plannedQuantity: 400_000,
    },
    // Made outside the EU: the sponsor's QP certifies on import.
    certifiedBy: 'sponsor',
    site: CALDERA_SITE,
    destination: AURORA_DEPOT,
    qpRegister: 'SE',
    siteCode: 'cal',
    notificationDeadlinesHours: { critical: 24, major: 48, minor: 720 },
  },
  {
    agreementId: 'qa-htx-cal-2026',
    sponsorId: HELVION,
    cdmoId: CALDERA,
    product: {
      productId: 'prd-hlv-305',
      name: 'Helvocitinib 10 mg hard capsules (HLV-305)',
      code: 'HLV305',
      form: 'capsules',
      unit: 'capsules',
      plannedQuantity: 250_000,
    },
    certifiedBy: 'sponsor',
    site: CALDERA_SITE,
    destination: HELVION_DEPOT,
    qpRegister: 'CH',
    siteCode: 'cal',
    notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
  },
  {
    agreementId: 'qa-aur-nb-2026',
    sponsorId: AURORA,
    cdmoId: NORTHBRIDGE,
    product: {
      productId: 'prd-aur-118',
      name: 'Aurelizumab 20 mg/mL concentrate for solution for infusion (AUR-118)',
      code: 'AUR118',
      form: 'sterile-injectable',
      unit: 'vials',
      plannedQuantity: 12_000,
      strengthMgPerMl: 20,
    },
    certifiedBy: 'cdmo',
    site: NORTHBRIDGE_SITE,
    destination: AURORA_DEPOT,
    qpRegister: 'IE',
    siteCode: 'nb',
    notificationDeadlinesHours: { critical: 24, major: 72, minor: 720 },
  },
];

/** The organization that performs QP certification under a partnership's agreement. */
export function certifierOf(partnership: WorldPartnership): string {
  return partnership.certifiedBy === 'sponsor' ? partnership.sponsorId : partnership.cdmoId;
}

type Responsibilities = AgreementVersionApprovedV1['responsibilities'];

function responsibilities(certifiedBy: 'sponsor' | 'cdmo'): Responsibilities {
  return [
    { activity: 'batch-scheduling', performedBy: 'cdmo' },
    { activity: 'manufacturing', performedBy: 'cdmo' },
    { activity: 'batch-record-review', performedBy: 'cdmo' },
    { activity: 'qc-testing', performedBy: 'cdmo' },
    { activity: 'coa-issuance', performedBy: 'cdmo' },
    { activity: 'qa-disposition', performedBy: 'cdmo', approvedBy: 'sponsor' },
    { activity: 'qp-certification', performedBy: certifiedBy },
    { activity: 'shipping', performedBy: 'cdmo' },
    { activity: 'deviation-reporting', performedBy: 'cdmo' },
    { activity: 'deviation-investigation', performedBy: 'cdmo' },
    { activity: 'capa', performedBy: 'cdmo', approvedBy: 'sponsor' },
    { activity: 'deviation-approval', performedBy: 'sponsor' },
  ];
}

function approvals(partnership: WorldPartnership, sponsorSignedAt: string, cdmoSignedAt: string) {
  const sponsorQa = worldPerson(partnership.sponsorId, 'qa');
  const cdmoQa = worldPerson(partnership.cdmoId, 'qa');
  return [
    {
      signerId: sponsorQa.personId,
      printedName: sponsorQa.printedName,
      signedAt: sponsorSignedAt,
      meaning: 'approval' as const,
      reason: `Approved on behalf of ${worldOrganization(partnership.sponsorId).name} as sponsor.`,
    },
    {
      signerId: cdmoQa.personId,
      printedName: cdmoQa.printedName,
      signedAt: cdmoSignedAt,
      meaning: 'approval' as const,
      reason: `Approved on behalf of ${worldOrganization(partnership.cdmoId).name} as contract manufacturer.`,
    },
  ];
}

/**
 * Every approved version of every agreement, oldest first. Fixed dates, so a re-seed appends
 * exactly the same events. The Helvion/Northbridge agreement has a history (its first version
 * allowed 120 h for major deviations) so "which version applied when" has something to show.
 */
export function worldAgreementVersions(): AgreementVersionApprovedV1[] {
  const versions: AgreementVersionApprovedV1[] = [];
  for (const partnership of WORLD_PARTNERSHIPS) {
    const base = {
      agreementId: partnership.agreementId,
      sponsorId: partnership.sponsorId,
      cdmoId: partnership.cdmoId,
      products: [{ productId: partnership.product.productId, name: partnership.product.name }],
      responsibilities: responsibilities(partnership.certifiedBy),
    };
    if (partnership.agreementId === 'qa-htx-nb-2026') {
      versions.push({
        ...base,
        version: 1,
        notificationDeadlinesHours: { ...partnership.notificationDeadlinesHours, major: 120 },
        effectiveFrom: '2025-01-01T00:00:00Z',
        signatures: approvals(partnership, '2024-12-10T14:05:00Z', '2024-12-11T09:30:00Z'),
      });
      versions.push({
        ...base,
        version: 2,
        notificationDeadlinesHours: partnership.notificationDeadlinesHours,
        effectiveFrom: '2026-02-09T00:00:00+01:00',
        reason:
          'Annual review: major deviation notification shortened from 120 h to 72 h; CAPA approval moved to the sponsor (change request CR-2026-004).',
        signatures: approvals(partnership, '2026-02-02T15:41:12+01:00', '2026-02-02T14:12:40Z'),
      });
      continue;
    }
    versions.push({
      ...base,
      version: 1,
      notificationDeadlinesHours: partnership.notificationDeadlinesHours,
      effectiveFrom: '2025-06-01T00:00:00Z',
      signatures: approvals(partnership, '2025-05-14T10:02:00Z', '2025-05-14T16:40:00Z'),
    });
  }
  return versions;
}
