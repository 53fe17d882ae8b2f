import {
  activities,
  DomainError,
  organizationKinds,
  roles,
  type AgreementDraft,
  type Role,
} from '@concord/domain';
import { agreementHistory, organizationHistory } from '@concord/audit';
import { builder } from '../builder.ts';
import { FIELD_COSTS } from '../cost-limit.ts';
import { HistoryConnection, HistoryEntryRef, historyPage } from './audit.ts';
import type {
  AdministeredOrganization,
  AdministrativeAct,
  RecordedAdministration,
  SigningKeyProofInput,
} from '../administration.ts';
import { ActRefusedError } from '../human-acts.ts';

const enumOf = <Values extends readonly string[]>(name: string, values: Values) =>
  builder.enumType(name, {
    values: Object.fromEntries(
      values.map((value) => [value.toUpperCase().replaceAll('-', '_'), { value }]),
    ) as { [Key in Values[number]]: { value: Key } },
  });

const RoleEnum = enumOf('Role', roles);
const OrganizationKindEnum = enumOf('OrganizationKind', organizationKinds);
const ActivityEnum = enumOf('Activity', activities);
const PartyEnum = enumOf('Party', ['sponsor', 'cdmo'] as const);

const RecordedAdministrationRef = builder
  .objectRef<RecordedAdministration>('RecordedAdministration')
  .implement({
    description: 'An administrative act as recorded in the organization’s stream.',
    fields: (t) => ({
      eventId: t.exposeID('eventId'),
      streamId: t.exposeString('streamId'),
      position: t.string({ resolve: (act) => act.position.toString() }),
      recordedAt: t.field({ type: 'DateTime', resolve: (act) => new Date(act.recordedAt) }),
      recordedTypes: t.stringList({
        description:
          'What was recorded, in order (the second signature of a draft also approves it).',
        resolve: (act) => act.types,
      }),
    }),
  });

const IssuedApiKeyRef = builder.objectRef<RecordedAdministration>('IssuedApiKey').implement({
  description:
    'A new API key. `key` is shown this once: Concord keeps only its digest, and cannot show it again.',
  fields: (t) => ({
    keyId: t.id({ resolve: (act) => act.apiKey!.keyId }),
    key: t.string({ resolve: (act) => act.apiKey!.key }),
    expiresAt: t.field({ type: 'DateTime', resolve: (act) => new Date(act.apiKey!.expiresAt) }),
    recorded: t.field({ type: RecordedAdministrationRef, resolve: (act) => act }),
  }),
});

type Administered = AdministeredOrganization;
type StoredKey = Administered['directory']['apiKeys'] extends Map<string, infer Key> ? Key : never;

const ApiKeyStatus = builder.enumType('ApiKeyStatus', {
  values: {
    ACTIVE: { value: 'active' },
    EXPIRED: { value: 'expired' },
    REVOKED: { value: 'revoked' },
  } as const,
});

const ApiKeyRef = builder
  .objectRef<{ key: StoredKey; lastUsedAt: Date | undefined; now: string }>('ApiKey')
  .implement({
    description: 'An API key of a partner system (never the key itself).',
    fields: (t) => ({
      keyId: t.id({ resolve: ({ key }) => key.keyId }),
      roles: t.stringList({ resolve: ({ key }) => [...key.roles] }),
      issuedAt: t.field({ type: 'DateTime', resolve: ({ key }) => new Date(key.issuedAt) }),
      expiresAt: t.field({ type: 'DateTime', resolve: ({ key }) => new Date(key.expiresAt) }),
      revokedAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: ({ key }) => (key.revokedAt ? new Date(key.revokedAt) : null),
      }),
      lastUsedAt: t.field({
        type: 'DateTime',
        nullable: true,
        description: 'When a call last came with it (to the minute); null: never.',
        resolve: ({ lastUsedAt }) => lastUsedAt ?? null,
      }),
      status: t.field({
        type: ApiKeyStatus,
        resolve: ({ key, now }) => {
          const at = Date.parse(now);
          if (key.revokedAt && Date.parse(key.revokedAt) <= at) return 'revoked';
          return Date.parse(key.expiresAt) <= at ? 'expired' : 'active';
        },
      }),
    }),
  });

const SiteRef = builder
  .objectRef<{ siteId: string; name: string; country: string; registeredAt: string }>('Site')
  .implement({
    description: 'A plant, laboratory or warehouse of the organization.',
    fields: (t) => ({
      siteId: t.exposeID('siteId'),
      name: t.exposeString('name'),
      country: t.exposeString('country', { description: 'ISO 3166-1 alpha-2.' }),
      registeredAt: t.field({ type: 'DateTime', resolve: (site) => new Date(site.registeredAt) }),
    }),
  });

const ProductRef = builder
  .objectRef<{ productId: string; name: string; registeredAt: string }>('RegisteredProduct')
  .implement({
    description: 'A product of the organization, as registered.',
    fields: (t) => ({
      productId: t.exposeID('productId'),
      name: t.exposeString('name'),
      registeredAt: t.field({
        type: 'DateTime',
        resolve: (product) => new Date(product.registeredAt),
      }),
    }),
  });

const PartnerSystemRef = builder
  .objectRef<{ organization: Administered; systemId: string }>('PartnerSystem')
  .implement({
    description: 'A system of the organization that calls Concord with API keys.',
    fields: (t) => ({
      systemId: t.id({ resolve: ({ systemId }) => systemId }),
      name: t.string({
        resolve: ({ organization, systemId }) => organization.directory.systems.get(systemId)!.name,
      }),
      apiKeys: t.field({
        type: [ApiKeyRef],
        resolve: ({ organization: { directory, lastUse, now }, systemId }) =>
          [...directory.apiKeys.values()]
            .filter((key) => key.systemId === systemId)
            .map((key) => ({ key, lastUsedAt: lastUse.get(key.keyId), now })),
      }),
    }),
  });

const AdministeredPersonRef = builder
  .objectRef<{
    personId: string;
    printedName: string;
    roles: readonly Role[];
  }>('AdministeredPerson')
  .implement({
    fields: (t) => ({
      personId: t.exposeID('personId'),
      printedName: t.exposeString('printedName'),
      roles: t.stringList({ resolve: (person) => [...person.roles] }),
    }),
  });

const SigningKeyRef = builder
  .objectRef<
    Administered['directory']['keys'] extends Map<string, infer Key> ? Key : never
  >('SigningKey')
  .implement({
    description: 'An Ed25519 public key an organization signs its events with.',
    fields: (t) => ({
      keyId: t.exposeID('keyId'),
      publicKey: t.exposeString('publicKey'),
      validFrom: t.field({ type: 'DateTime', resolve: (key) => new Date(key.validFrom) }),
      revokedAt: t.field({
        type: 'DateTime',
        nullable: true,
        resolve: (key) => (key.revokedAt ? new Date(key.revokedAt) : null),
      }),
    }),
  });

const AdministratorSignatureRef = builder.inputType('AdministratorSignatureInput', {
  description:
    'An e-signature meaning approval (its reason is the act’s): your printed name as registered, and the credential you re-entered for it.',
  fields: (f) => ({
    printedName: f.string({ required: true }),
    credential: f.string({ required: true }),
  }),
});

const SigningKeyProofRef = builder.inputType('SigningKeyProofInput', {
  description:
    'How the organization proves a change to its signing keys: exactly one of a signature of the statement by a key it holds, or its administrator’s e-signature.',
  fields: (t) => ({
    heldKey: t.field({
      required: false,
      type: builder.inputType('HeldKeyProofInput', {
        description:
          'The statement (see the AsyncAPI document’s key statements) signed like an event, with a key the organization holds now.',
        fields: (f) => ({
          keyId: f.id({ required: true }),
          signature: f.string({ required: true }),
        }),
      }),
    }),
    eSignature: t.field({ required: false, type: AdministratorSignatureRef }),
  }),
});

function proofOf(input: typeof SigningKeyProofRef.$inferInput): SigningKeyProofInput {
  if (input.heldKey && !input.eSignature) return { heldKey: input.heldKey };
  if (input.eSignature && !input.heldKey) return { eSignature: input.eSignature };
  throw new ActRefusedError(
    'administration.one-proof',
    'Prove the change one way: heldKey or eSignature.',
  );
}

const AgreementDraftRef = builder.objectRef<AgreementDraft>('AgreementDraft').implement({
  description:
    'The version of a quality agreement being drafted: its text, and which party’s QA has signed it.',
  fields: (t) => ({
    draftId: t.id({ resolve: (draft) => draft.draftId, description: 'Sign this draft by its id.' }),
    agreementId: t.id({ resolve: (draft) => draft.content.agreementId }),
    version: t.int({ resolve: (draft) => draft.content.version }),
    sponsorId: t.id({ resolve: (draft) => draft.content.sponsorId }),
    cdmoId: t.id({ resolve: (draft) => draft.content.cdmoId }),
    effectiveFrom: t.field({
      type: 'DateTime',
      resolve: (draft) => new Date(draft.content.effectiveFrom),
    }),
    notificationDeadlinesHours: t.field({
      type: 'JSON',
      resolve: (draft) => draft.content.notificationDeadlinesHours,
    }),
    deviationDueDays: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'Investigation, CAPA and closure due days by severity, if the version sets them.',
      resolve: (draft) => draft.content.deviationDueDays ?? null,
    }),
    products: t.field({ type: 'JSON', resolve: (draft) => draft.content.products }),
    responsibilities: t.field({ type: 'JSON', resolve: (draft) => draft.content.responsibilities }),
    signedBy: t.stringList({
      description: 'The parties whose QA has signed (sponsor, cdmo).',
      resolve: (draft) => Object.keys(draft.signatures),
    }),
  }),
});

const AgreementVersionInput = builder.inputType('AgreementVersionInput', {
  description: 'The whole text of a version of a quality agreement.',
  fields: (t) => ({
    agreementId: t.id({ required: true }),
    version: t.int({ required: true, description: '1 for a new agreement, then previous + 1.' }),
    sponsorId: t.id({ required: true }),
    cdmoId: t.id({ required: true }),
    products: t.field({
      required: true,
      type: [
        builder.inputType('AgreementProductInput', {
          fields: (f) => ({
            productId: f.id({ required: true }),
            name: f.string({ required: true }),
          }),
        }),
      ],
    }),
    responsibilities: t.field({
      required: true,
      type: [
        builder.inputType('ResponsibilityInput', {
          fields: (f) => ({
            activity: f.field({ type: ActivityEnum, required: true }),
            performedBy: f.field({ type: PartyEnum, required: true }),
            approvedBy: f.field({ type: PartyEnum, required: false }),
          }),
        }),
      ],
    }),
    notificationDeadlinesHours: t.field({
      required: true,
      type: builder.inputType('NotificationDeadlinesInput', {
        description: 'Hours from detection within which a deviation of each severity is reported.',
        fields: (f) => ({
          critical: f.int({ required: true }),
          major: f.int({ required: true }),
          minor: f.int({ required: true }),
        }),
      }),
    }),
    deviationDueDays: t.field({
      required: false,
      description:
        "Days from a deviation's detection by which, for its severity, the root cause is identified (investigation), the CAPA approved (capa) and the deviation closed (closure); the platform warns both parties before and when each passes. Omitted: no such due dates.",
      type: builder.inputType('DeviationDueDaysInput', {
        fields: (f) => {
          const dueDays = builder.inputType(`DueDaysInput`, {
            fields: (d) => ({
              investigation: d.int({ required: true }),
              capa: d.int({ required: true }),
              closure: d.int({ required: true }),
            }),
          });
          return {
            critical: f.field({ type: dueDays, required: true }),
            major: f.field({ type: dueDays, required: true }),
            minor: f.field({ type: dueDays, required: true }),
          };
        },
      }),
    }),
    effectiveFrom: t.string({
      required: true,
      description: 'RFC 3339 instant with offset; not before both parties have signed.',
    }),
  }),
});

builder.queryFields((t) => ({
  agreementHistory: t.connection(
    {
      type: HistoryEntryRef,
      description:
        'Every draft, signature, approval and termination of a quality agreement, oldest first: for its parties’ people and the operators (empty for anyone else, as for an agreement that does not exist).',
      authScopes: { person: true },
      extensions: { cost: FIELD_COSTS.history },
      args: { agreementId: t.arg.id({ required: true }) },
      resolve: async (_root, args, context) => {
        const agreementId = String(args.agreementId);
        if (!(await context.administration.mayReadAgreement(context.caller!, agreementId)))
          return historyPage([], args);
        return historyPage(
          (await agreementHistory(context.store, agreementId, context.audit)).entries,
          args,
        );
      },
    },
    HistoryConnection,
  ),
  agreementDraft: t.field({
    description:
      'The version of an agreement being drafted, for its parties and the operators (null otherwise, and when nothing is drafted).',
    authScopes: { person: true },
    nullable: true,
    type: AgreementDraftRef,
    args: { agreementId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) =>
      context.administration.agreementDraft(context.caller!, String(args.agreementId)),
  }),
  administeredOrganization: t.field({
    description:
      'An organization as its administration sees it (its administrators, people, partner systems and API keys): for the platform’s operators and the organization’s administrators; null for anyone else, as for an organization that does not exist.',
    authScopes: { person: true },
    nullable: true,
    type: builder.objectRef<Administered>('AdministeredOrganization').implement({
      fields: (o) => ({
        organizationId: o.id({ resolve: ({ directory }) => directory.organizationId }),
        name: o.string({ resolve: ({ directory }) => directory.name }),
        kind: o.string({ resolve: ({ directory }) => directory.kind }),
        administrators: o.field({
          type: [AdministeredPersonRef],
          resolve: ({ directory }) =>
            [...directory.administrators].map(([personId, printedName]) => ({
              personId,
              printedName,
              roles: [...(directory.people.get(personId)?.roles ?? [])],
            })),
        }),
        people: o.field({
          type: [AdministeredPersonRef],
          description: 'Everyone registered, with the roles they hold now (none: deactivated).',
          resolve: ({ directory }) =>
            [...directory.people].map(([personId, person]) => ({
              personId,
              printedName: person.printedName,
              roles: [...person.roles].sort(),
            })),
        }),
        signingKeys: o.field({
          type: [SigningKeyRef],
          description: 'The keys its events are signed with, in the order registered.',
          resolve: ({ directory }) => [...directory.keys.values()],
        }),
        history: o.connection(
          {
            type: HistoryEntryRef,
            description:
              'Every administrative act on the organization, oldest first: who, when, why, and its signatures.',
            extensions: { cost: FIELD_COSTS.history },
            resolve: async ({ directory }, args, context) =>
              historyPage(
                (await organizationHistory(context.store, directory.organizationId, context.audit))
                  .entries,
                args,
              ),
          },
          HistoryConnection,
        ),
        sites: o.field({
          type: [SiteRef],
          description: 'Its plants, laboratories and warehouses, in the order registered.',
          resolve: ({ directory }) => [...directory.sites.values()],
        }),
        products: o.field({
          type: [ProductRef],
          description: 'Its products, in the order registered.',
          resolve: ({ directory }) => [...directory.products.values()],
        }),
        systems: o.field({
          type: [PartnerSystemRef],
          resolve: (organization) =>
            [...organization.directory.systems.keys()].map((systemId) => ({
              organization,
              systemId,
            })),
        }),
      }),
    }),
    args: { organizationId: t.arg.id({ required: true }) },
    resolve: (_root, args, context) =>
      context.administration.organization(context.caller!, String(args.organizationId)),
  }),
}));

type MutationBuilder = Parameters<Parameters<typeof builder.mutationFields>[0]>[0];

const administrativeField = <Args extends object>(
  t: MutationBuilder,
  description: string,
  args: Args,
  actOf: (args: Record<string, unknown>) => AdministrativeAct,
) =>
  t.field({
    type: RecordedAdministrationRef,
    description,
    // Any person; who may administer what is the organization decider's rule, answered as a
    // refusal in the result.
    authScopes: { person: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      ...args,
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: (_root, input, context) =>
      context.administration.perform(
        context.caller!,
        actOf(input as Record<string, unknown>),
        String((input as { reason: string }).reason),
      ),
  });

const text = (value: unknown) => String(value);

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An instant kept exactly as given (a signed statement covers its text), if it is one. */
function instant(value: string, name: string): string {
  if (!RFC3339.test(value) || Number.isNaN(Date.parse(value)))
    throw new ActRefusedError(
      'administration.invalid-instant',
      `${name} must be an RFC 3339 date-time with an offset (e.g. 2026-12-05T15:00:00Z).`,
    );
  return value;
}

builder.mutationFields((t) => ({
  registerOrganization: administrativeField(
    t,
    'Register a sponsor, CDMO or testing laboratory (platform operators).',
    {
      organizationId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      kind: t.arg({ type: OrganizationKindEnum, required: true }),
    },
    (args) => ({
      kind: 'register-organization',
      organizationId: text(args.organizationId),
      name: text(args.name),
      organizationKind: args.kind as AdministeredOrganization['directory']['kind'],
    }),
  ),
  appointAdministrator: administrativeField(
    t,
    'Make a person an administrator of an organization.',
    {
      organizationId: t.arg.id({ required: true }),
      personId: t.arg.id({ required: true }),
      printedName: t.arg.string({ required: true }),
    },
    (args) => ({
      kind: 'appoint-administrator',
      organizationId: text(args.organizationId),
      personId: text(args.personId),
      printedName: text(args.printedName),
    }),
  ),
  removeAdministrator: administrativeField(
    t,
    'Take a person’s administration of an organization away.',
    { organizationId: t.arg.id({ required: true }), personId: t.arg.id({ required: true }) },
    (args) => ({
      kind: 'remove-administrator',
      organizationId: text(args.organizationId),
      personId: text(args.personId),
    }),
  ),
  grantRole: administrativeField(
    t,
    'Grant a person a role at their organization (registering them with their printed name).',
    {
      organizationId: t.arg.id({ required: true }),
      personId: t.arg.id({ required: true }),
      printedName: t.arg.string({ required: true }),
      role: t.arg({ type: RoleEnum, required: true }),
    },
    (args) => ({
      kind: 'grant-role',
      organizationId: text(args.organizationId),
      personId: text(args.personId),
      printedName: text(args.printedName),
      role: args.role as Role,
    }),
  ),
  revokeRole: administrativeField(
    t,
    'Revoke a role (a person without roles is deactivated; nobody is ever deleted).',
    {
      organizationId: t.arg.id({ required: true }),
      personId: t.arg.id({ required: true }),
      role: t.arg({ type: RoleEnum, required: true }),
    },
    (args) => ({
      kind: 'revoke-role',
      organizationId: text(args.organizationId),
      personId: text(args.personId),
      role: args.role as Role,
    }),
  ),
  registerPartnerSystem: administrativeField(
    t,
    'Register a system of the organization that will call Concord with API keys.',
    {
      organizationId: t.arg.id({ required: true }),
      systemId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
    },
    (args) => ({
      kind: 'register-partner-system',
      organizationId: text(args.organizationId),
      systemId: text(args.systemId),
      name: text(args.name),
    }),
  ),
  registerSite: administrativeField(
    t,
    'Register a plant, laboratory or warehouse of the organization.',
    {
      organizationId: t.arg.id({ required: true }),
      siteId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      country: t.arg.string({ required: true, description: 'ISO 3166-1 alpha-2, e.g. IE.' }),
    },
    (args) => ({
      kind: 'register-site',
      organizationId: text(args.organizationId),
      siteId: text(args.siteId),
      name: text(args.name),
      country: text(args.country),
    }),
  ),
  registerProduct: administrativeField(
    t,
    'Register a product of the organization (a sponsor’s, which quality agreements name).',
    {
      organizationId: t.arg.id({ required: true }),
      productId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
    },
    (args) => ({
      kind: 'register-product',
      organizationId: text(args.organizationId),
      productId: text(args.productId),
      name: text(args.name),
    }),
  ),
  revokeApiKey: administrativeField(
    t,
    'Revoke an API key: refused from `revokedAt` (default: now) on.',
    {
      organizationId: t.arg.id({ required: true }),
      systemId: t.arg.id({ required: true }),
      keyId: t.arg.id({ required: true }),
      revokedAt: t.arg({ type: 'DateTime', required: false }),
    },
    (args) => ({
      kind: 'revoke-api-key',
      organizationId: text(args.organizationId),
      systemId: text(args.systemId),
      keyId: text(args.keyId),
      ...(args.revokedAt instanceof Date ? { revokedAt: args.revokedAt.toISOString() } : {}),
    }),
  ),
  registerSigningKey: t.field({
    type: RecordedAdministrationRef,
    description:
      'Register a signing key of the organization, proven by a key it holds (rotation) or its administrator’s e-signature (the first key).',
    // A partner system may relay a statement its organization signed with a key it holds.
    authScopes: { member: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      organizationId: t.arg.id({ required: true }),
      keyId: t.arg.id({ required: true }),
      publicKey: t.arg.string({ required: true, description: 'Raw Ed25519 public key, base64.' }),
      validFrom: t.arg.string({
        required: true,
        description: 'RFC 3339 instant with offset, exactly as in the signed statement.',
      }),
      proof: t.arg({ type: SigningKeyProofRef, required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: (_root, args, context) =>
      context.administration.changeSigningKey(
        context.caller!,
        {
          kind: 'register-signing-key',
          organizationId: text(args.organizationId),
          keyId: text(args.keyId),
          publicKey: args.publicKey,
          validFrom: instant(args.validFrom, 'validFrom'),
        },
        proofOf(args.proof),
        args.reason,
      ),
  }),
  revokeSigningKey: t.field({
    type: RecordedAdministrationRef,
    description:
      'Revoke a signing key from a stated instant (now or later): events it signs received from then on are refused.',
    authScopes: { member: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      organizationId: t.arg.id({ required: true }),
      keyId: t.arg.id({ required: true }),
      revokedAt: t.arg.string({
        required: true,
        description: 'RFC 3339 instant with offset, exactly as in the signed statement.',
      }),
      proof: t.arg({ type: SigningKeyProofRef, required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: (_root, args, context) =>
      context.administration.changeSigningKey(
        context.caller!,
        {
          kind: 'revoke-signing-key',
          organizationId: text(args.organizationId),
          keyId: text(args.keyId),
          revokedAt: instant(args.revokedAt, 'revokedAt'),
        },
        proofOf(args.proof),
        args.reason,
      ),
  }),
  draftAgreementVersion: t.field({
    type: RecordedAdministrationRef,
    description:
      'Draft the next version of a quality agreement (or a new agreement): an administrator of either party, or an operator. The reason is the reason for change.',
    authScopes: { person: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      version: t.arg({ type: AgreementVersionInput, required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: (_root, { version, reason }, context) =>
      context.administration.draftAgreementVersion(
        context.caller!,
        {
          agreementId: text(version.agreementId),
          version: version.version,
          sponsorId: text(version.sponsorId),
          cdmoId: text(version.cdmoId),
          products: version.products.map(({ productId, name }) => ({
            productId: text(productId),
            name,
          })),
          responsibilities: version.responsibilities.map(
            ({ activity, performedBy, approvedBy }) => ({
              activity,
              performedBy,
              ...(approvedBy ? { approvedBy } : {}),
            }),
          ),
          notificationDeadlinesHours: version.notificationDeadlinesHours,
          ...(version.deviationDueDays ? { deviationDueDays: version.deviationDueDays } : {}),
          effectiveFrom: instant(version.effectiveFrom, 'effectiveFrom'),
        },
        reason,
      ),
  }),
  signAgreementVersion: t.field({
    type: RecordedAdministrationRef,
    description:
      'Sign the drafted version as your organization’s QA (e-signature, meaning approval); the second party’s signature approves it.',
    authScopes: { person: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      agreementId: t.arg.id({ required: true }),
      version: t.arg.int({ required: true }),
      draftId: t.arg.id({ required: true }),
      signature: t.arg({ type: AdministratorSignatureRef, required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the signature.' }),
    },
    resolve: (_root, args, context) =>
      context.administration.signAgreementVersion(
        context.caller!,
        {
          agreementId: text(args.agreementId),
          version: args.version,
          draftId: text(args.draftId),
        },
        args.signature,
        args.reason,
      ),
  }),
  issueApiKey: t.field({
    type: IssuedApiKeyRef,
    description:
      'Issue an API key to a partner system. The key is in the answer, this once; only its digest is kept.',
    authScopes: { person: true },
    errors: { types: [DomainError, ActRefusedError] },
    args: {
      organizationId: t.arg.id({ required: true }),
      systemId: t.arg.id({ required: true }),
      roles: t.arg({ type: [RoleEnum], required: true }),
      expiresAt: t.arg({ type: 'DateTime', required: true }),
      reason: t.arg.string({ required: true, description: 'Why: recorded with the act.' }),
    },
    resolve: (_root, args, context) =>
      context.administration.perform(
        context.caller!,
        {
          kind: 'issue-api-key',
          organizationId: text(args.organizationId),
          systemId: text(args.systemId),
          roles: args.roles as Role[],
          expiresAt: args.expiresAt.toISOString(),
        },
        args.reason,
      ),
  }),
}));
