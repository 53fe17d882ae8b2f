import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, useQuery } from 'urql';
import { PageHeader } from '../components/page-header.tsx';
import { SignatureDialog } from '../components/signature-dialog.tsx';
import { ErrorState, Loading } from '../components/states.tsx';
import {
  AdministeredOrganizationQuery,
  AgreementDraftQuery,
  AppointAdministratorMutation,
  RegisterSigningKeyMutation,
  DraftAgreementVersionMutation,
  SignAgreementVersionMutation,
  GrantRoleMutation,
  IssueApiKeyMutation,
  RegisterOrganizationMutation,
  RegisterPartnerSystemMutation,
  RegisterProductMutation,
  RegisterSiteMutation,
  RevokeApiKeyMutation,
  type AdministeredOrganization,
} from '../lib/api.ts';
import { useConcord } from '../lib/concord-context.tsx';
import { formatDateTime } from '../lib/format.ts';
import { navigate, useRoute } from '../lib/router.tsx';

const ROLES = ['QA', 'QC', 'PRODUCTION', 'QP', 'ANALYST', 'AUDITOR'] as const;
const KINDS = ['SPONSOR', 'CDMO', 'TESTING_LAB'] as const;

/** An administrative act's answer: recorded (its type name ends in Success), or refused. */
type Answer = { __typename: string; code?: string; message?: string } | null | undefined;
type Outcome = { ok: boolean; text: string } | null;

function outcomeOf(answer: Answer, error: Error | undefined, done: string): Outcome {
  if (error) return { ok: false, text: error.message };
  if (!answer) return { ok: false, text: 'No answer.' };
  if (answer.code) return { ok: false, text: `${answer.message} (${answer.code})` };
  return { ok: true, text: done };
}

/**
 * Administration: a platform operator registers organizations and appoints their administrators
 * (and may act for any organization); an organization's administrator runs its people, partner
 * systems and API keys. Every act states why; the server decides who may do what and says so.
 */
export function AdministrationView() {
  const { session } = useConcord();
  const route = useRoute();
  const operator = session.roles.includes('operator');
  const organizationId = operator ? (route.query.get('org') ?? '') : session.organizationId;
  return (
    <div className="page">
      <PageHeader
        title="Administration"
        subtitle={
          operator
            ? 'Register organizations, appoint their administrators, and act for any organization'
            : 'Your organization’s people, partner systems and API keys'
        }
      />
      {operator ? <OperatorPanel organizationId={organizationId} /> : null}
      {organizationId ? <OrganizationPanel organizationId={organizationId} /> : null}
      {operator ? null : <AgreementSigning />}
    </div>
  );
}

function OperatorPanel({ organizationId }: { organizationId: string }) {
  const [, register] = useMutation(RegisterOrganizationMutation);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [lookup, setLookup] = useState(organizationId);
  return (
    <div className="admin-grid">
      <ActForm
        title="Register an organization"
        name="register-organization"
        fields={[
          { name: 'organizationId', label: 'Organization id' },
          { name: 'name', label: 'Name' },
          { name: 'kind', label: 'Kind', options: KINDS },
          { name: 'reason', label: 'Reason' },
        ]}
        outcome={outcome}
        onSubmit={async (values) => {
          const result = await register({
            organizationId: values.organizationId!,
            name: values.name!,
            kind: values.kind as (typeof KINDS)[number],
            reason: values.reason!,
          });
          setOutcome(
            outcomeOf(
              result.data?.registerOrganization,
              result.error,
              `${values.name} registered.`,
            ),
          );
          if (result.data?.registerOrganization?.__typename.endsWith('Success'))
            navigate(`#/admin?org=${encodeURIComponent(values.organizationId!)}`, {
              replace: true,
            });
        }}
      />
      <form
        className="card admin-form"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`#/admin?org=${encodeURIComponent(lookup)}`, { replace: true });
        }}
      >
        <h2>Open an organization</h2>
        <div className="field">
          <label htmlFor="admin-open-org">Organization id</label>
          <input
            id="admin-open-org"
            name="open-org"
            value={lookup}
            onChange={(event) => setLookup(event.target.value)}
          />
        </div>
        <button type="submit" className="button">
          Open
        </button>
      </form>
    </div>
  );
}

function OrganizationPanel({ organizationId }: { organizationId: string }) {
  const { session } = useConcord();
  const [{ data, fetching, error }, refetch] = useQuery({
    query: AdministeredOrganizationQuery,
    variables: { organizationId },
    requestPolicy: 'network-only',
  });
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const [, appoint] = useMutation(AppointAdministratorMutation);
  const [, grant] = useMutation(GrantRoleMutation);
  const [, registerSystem] = useMutation(RegisterPartnerSystemMutation);
  const [, registerSite] = useMutation(RegisterSiteMutation);
  const [, registerProduct] = useMutation(RegisterProductMutation);
  const [siteRegistered, setSiteRegistered] = useState<Outcome>(null);
  const [productRegistered, setProductRegistered] = useState<Outcome>(null);
  const [appointed, setAppointed] = useState<Outcome>(null);
  const [granted, setGranted] = useState<Outcome>(null);
  const [registered, setRegistered] = useState<Outcome>(null);
  if (error) return <ErrorState title="The organization could not be loaded" error={error} />;
  if (!data && fetching) return <Loading what="the organization" />;
  const organization = data?.administeredOrganization;
  if (!organization)
    return (
      <p className="notice" role="status">
        {organizationId === session.organizationId
          ? 'Your organization’s administrators manage its people, partner systems and keys.'
          : `${organizationId} is not registered, or not yours to administer.`}
      </p>
    );
  const operator = session.roles.includes('operator');
  return (
    <section className="admin-organization" data-organization-id={organization.organizationId}>
      <h2>
        {organization.name} <span className="muted">({organization.kind})</span>
      </h2>
      <div className="admin-grid">
        <div className="card">
          <h3>Administrators</h3>
          <ul className="admin-administrators">
            {organization.administrators.map((person) => (
              <li key={person.personId}>
                {person.printedName} <span className="muted">{person.personId}</span>
              </li>
            ))}
          </ul>
          <h3>People</h3>
          <table className="table admin-people">
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Roles</th>
              </tr>
            </thead>
            <tbody>
              {organization.people.map((person) => (
                <tr key={person.personId} data-person-id={person.personId}>
                  <td>
                    {person.printedName} <span className="muted">{person.personId}</span>
                  </td>
                  <td>{person.roles.length ? person.roles.join(', ') : 'deactivated'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {operator ? (
          <ActForm
            title="Appoint an administrator"
            name="appoint-administrator"
            fields={[
              { name: 'personId', label: 'Person id' },
              { name: 'printedName', label: 'Printed name' },
              { name: 'reason', label: 'Reason' },
            ]}
            outcome={appointed}
            onSubmit={async (values) => {
              const result = await appoint({
                organizationId,
                personId: values.personId!,
                printedName: values.printedName!,
                reason: values.reason!,
              });
              setAppointed(
                outcomeOf(
                  result.data?.appointAdministrator,
                  result.error,
                  'Administrator appointed.',
                ),
              );
              refresh();
            }}
          />
        ) : null}
        <ActForm
          title="Grant a role"
          name="grant-role"
          fields={[
            { name: 'personId', label: 'Person id' },
            { name: 'printedName', label: 'Printed name' },
            { name: 'role', label: 'Role', options: ROLES },
            { name: 'reason', label: 'Reason' },
          ]}
          outcome={granted}
          onSubmit={async (values) => {
            const result = await grant({
              organizationId,
              personId: values.personId!,
              printedName: values.printedName!,
              role: values.role as (typeof ROLES)[number],
              reason: values.reason!,
            });
            setGranted(outcomeOf(result.data?.grantRole, result.error, 'Role granted.'));
            refresh();
          }}
        />
        <ActForm
          title="Register a partner system"
          name="register-system"
          fields={[
            { name: 'systemId', label: 'System id' },
            { name: 'name', label: 'Name' },
            { name: 'reason', label: 'Reason' },
          ]}
          outcome={registered}
          onSubmit={async (values) => {
            const result = await registerSystem({
              organizationId,
              systemId: values.systemId!,
              name: values.name!,
              reason: values.reason!,
            });
            setRegistered(
              outcomeOf(result.data?.registerPartnerSystem, result.error, 'System registered.'),
            );
            refresh();
          }}
        />
      </div>
      <div className="admin-grid">
        <div className="card">
          <h3>Sites</h3>
          {organization.sites.length === 0 ? (
            <p className="muted">No site yet.</p>
          ) : (
            <ul className="admin-sites">
              {organization.sites.map((site) => (
                <li key={site.siteId} data-site-id={site.siteId}>
                  {site.name}{' '}
                  <span className="muted">
                    {site.siteId} · {site.country}
                  </span>
                </li>
              ))}
            </ul>
          )}
          <h3>Products</h3>
          {organization.products.length === 0 ? (
            <p className="muted">No product yet.</p>
          ) : (
            <ul className="admin-products">
              {organization.products.map((product) => (
                <li key={product.productId} data-product-id={product.productId}>
                  {product.name} <span className="muted">{product.productId}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <ActForm
          title="Register a site"
          name="register-site"
          fields={[
            { name: 'siteId', label: 'Site id' },
            { name: 'name', label: 'Name' },
            { name: 'country', label: 'Country (ISO code)' },
            { name: 'reason', label: 'Reason' },
          ]}
          outcome={siteRegistered}
          onSubmit={async (values) => {
            const result = await registerSite({
              organizationId,
              siteId: values.siteId!,
              name: values.name!,
              country: values.country!,
              reason: values.reason!,
            });
            setSiteRegistered(
              outcomeOf(result.data?.registerSite, result.error, 'Site registered.'),
            );
            refresh();
          }}
        />
        <ActForm
          title="Register a product"
          name="register-product"
          fields={[
            { name: 'productId', label: 'Product id' },
            { name: 'name', label: 'Name' },
            { name: 'reason', label: 'Reason' },
          ]}
          outcome={productRegistered}
          onSubmit={async (values) => {
            const result = await registerProduct({
              organizationId,
              productId: values.productId!,
              name: values.name!,
              reason: values.reason!,
            });
            setProductRegistered(
              outcomeOf(result.data?.registerProduct, result.error, 'Product registered.'),
            );
            refresh();
          }}
        />
      </div>
      <h3>Partner systems and API keys</h3>
      {organization.systems.length === 0 ? (
        <p className="muted">No partner system yet.</p>
      ) : (
        organization.systems.map((system) => (
          <SystemCard
            key={system.systemId}
            organizationId={organizationId}
            system={system}
            onChange={refresh}
          />
        ))
      )}
      <h3>Signing keys</h3>
      {organization.signingKeys.length === 0 ? (
        <p className="muted">
          No signing key yet: the organization registers its first with its administrator’s
          e-signature, then rotates with keys it holds (`concord keys register`).
        </p>
      ) : null}
      {operator ? null : (
        <SigningKeyRegistration organizationId={organizationId} onChange={refresh} />
      )}
      <ul className="admin-signing-keys">
        {organization.signingKeys.map((key) => (
          <li key={key.keyId}>
            {key.keyId} · valid from {formatDateTime(key.validFrom)}
            {key.revokedAt ? ` · revoked ${formatDateTime(key.revokedAt)}` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}

function SystemCard(props: {
  organizationId: string;
  system: AdministeredOrganization['systems'][number];
  onChange(): void;
}) {
  const { organizationId, system } = props;
  const [, issue] = useMutation(IssueApiKeyMutation);
  const [, revoke] = useMutation(RevokeApiKeyMutation);
  const [issued, setIssued] = useState<{ keyId: string; key: string } | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
  return (
    <div className="card admin-system" data-system-id={system.systemId}>
      <h4>
        {system.name} <span className="muted">{system.systemId}</span>
      </h4>
      <table className="table admin-api-keys">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Status</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col" />
          </tr>
        </thead>
        <tbody>
          {system.apiKeys.map((key) => (
            <tr key={key.keyId} data-key-id={key.keyId} data-status={key.status}>
              <td>{key.keyId}</td>
              <td>{key.status.toLowerCase()}</td>
              <td>{formatDateTime(key.expiresAt)}</td>
              <td>{key.lastUsedAt ? formatDateTime(key.lastUsedAt) : 'never'}</td>
              <td>
                {key.status === 'ACTIVE' ? (
                  <button
                    type="button"
                    className="button"
                    onClick={async () => {
                      const reason = window.prompt(`Why revoke ${key.keyId}?`);
                      if (!reason) return;
                      const result = await revoke({
                        organizationId,
                        systemId: system.systemId,
                        keyId: key.keyId,
                        reason,
                      });
                      setOutcome(
                        outcomeOf(result.data?.revokeApiKey, result.error, 'Key revoked.'),
                      );
                      props.onChange();
                    }}
                  >
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {issued ? (
        <div className="notice notice-success admin-issued-key" role="status">
          <p>
            API key {issued.keyId}: copy it now. Concord keeps only its digest and cannot show it
            again.
          </p>
          <code>{issued.key}</code>
        </div>
      ) : null}
      <ActForm
        title="Issue an API key"
        name={`issue-key-${system.systemId}`}
        fields={[
          { name: 'expires', label: 'Expires on', type: 'date', initial: inAYear },
          { name: 'role', label: 'Sees as', options: ROLES, initial: 'ANALYST' },
          { name: 'reason', label: 'Reason' },
        ]}
        outcome={outcome}
        onSubmit={async (values) => {
          const result = await issue({
            organizationId,
            systemId: system.systemId,
            roles: [values.role as (typeof ROLES)[number]],
            expiresAt: new Date(`${values.expires}T00:00:00Z`).toISOString(),
            reason: values.reason!,
          });
          const answer = result.data?.issueApiKey;
          const data = answer && 'data' in answer ? answer.data : undefined;
          setIssued(data ? { keyId: data.keyId, key: data.key } : null);
          setOutcome(outcomeOf(answer, result.error, 'Key issued.'));
          props.onChange();
        }}
      />
    </div>
  );
}

/**
 * The organization's administrator registers a signing key (its first, or any) by approving it
 * with an e-signature; later keys can also be proven by a key it holds (`concord keys register`).
 */
function SigningKeyRegistration(props: { organizationId: string; onChange(): void }) {
  const [, register] = useMutation(RegisterSigningKeyMutation);
  const [pending, setPending] = useState<Record<string, string> | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  return (
    <>
      <ActForm
        title="Register a signing key"
        name="register-signing-key"
        fields={[
          { name: 'keyId', label: 'Key id' },
          { name: 'publicKey', label: 'Public key (Ed25519, base64)' },
          {
            name: 'validFrom',
            label: 'Valid from',
            initial: `${new Date().toISOString().slice(0, 19)}Z`,
          },
        ]}
        outcome={outcome}
        onSubmit={async (values) => setPending(values)}
      />
      {pending ? (
        <SignatureDialog
          title={`Register signing key ${pending.keyId}`}
          defaultMeaning="APPROVAL"
          confirmLabel="Sign and register"
          perform={async (signature) => {
            const result = await register({
              organizationId: props.organizationId,
              keyId: pending.keyId!,
              publicKey: pending.publicKey!,
              validFrom: pending.validFrom!,
              proof: {
                eSignature: {
                  printedName: signature.printedName,
                  credential: signature.credential,
                },
              },
              reason: signature.reason,
            });
            if (result.error) throw result.error;
            return result.data?.registerSigningKey;
          }}
          onCancel={() => setPending(null)}
          onDone={() => {
            setOutcome({ ok: true, text: `Signing key ${pending.keyId} registered.` });
            setPending(null);
            props.onChange();
          }}
        >
          {`As administrator of ${props.organizationId}, you approve key ${pending.keyId}: events signed with it from ${pending.validFrom} are your organization's.`}
        </SignatureDialog>
      ) : null}
    </>
  );
}

/**
 * A party's QA reads the drafted version of a quality agreement and signs it (approval); the
 * second party's signature puts it in force from its date.
 */
function AgreementSigning() {
  const [agreementId, setAgreementId] = useState('');
  const [opened, setOpened] = useState('');
  const [signing, setSigning] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [{ data, error }, refetch] = useQuery({
    query: AgreementDraftQuery,
    variables: { agreementId: opened },
    pause: opened === '',
    requestPolicy: 'network-only',
  });
  const [, sign] = useMutation(SignAgreementVersionMutation);
  const draft = data?.agreementDraft;
  return (
    <section className="card admin-agreement">
      <h2>Quality agreement drafts</h2>
      <details className="admin-drafting">
        <summary>Draft a new version…</summary>
        <AgreementDrafting
          onDrafted={(id) => {
            setAgreementId(id);
            setOpened(id);
          }}
        />
      </details>
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          setOutcome(null);
          setOpened(agreementId);
        }}
      >
        <div className="field">
          <label htmlFor="agreement-id">Agreement to open</label>
          <input
            id="agreement-id"
            name="agreementId"
            value={agreementId}
            onChange={(event) => setAgreementId(event.target.value)}
          />
        </div>
        <button type="submit" className="button">
          Open the draft
        </button>
      </form>
      {error ? <ErrorState title="The draft could not be loaded" error={error} /> : null}
      {opened && data && !draft && !outcome ? (
        <p className="notice" role="status">
          Nothing is drafted for {opened}, or it is not yours to see.
        </p>
      ) : null}
      {draft ? (
        <div className="agreement-draft" data-draft-id={draft.draftId}>
          <p>
            Version {draft.version} of {draft.agreementId} between {draft.sponsorId} (sponsor) and{' '}
            {draft.cdmoId} (CDMO), in force from {formatDateTime(draft.effectiveFrom)} once both
            parties have signed.
          </p>
          <p className="muted small">
            Notification within {formatHours(draft.notificationDeadlinesHours)} hours (critical,
            major, minor).{' '}
            {draft.deviationDueDays
              ? `Root cause, CAPA and closure due in ${formatDueDays(draft.deviationDueDays)} days (critical; major; minor).`
              : 'No investigation, CAPA or closure due dates.'}
          </p>
          <p className="agreement-signed-by">
            Signed by: {draft.signedBy.length ? draft.signedBy.join(', ') : 'nobody yet'}
          </p>
          <button type="button" className="button button-primary" onClick={() => setSigning(true)}>
            Sign as QA…
          </button>
        </div>
      ) : null}
      {outcome ? (
        <p className="notice notice-success" role="status">
          {outcome.text}
        </p>
      ) : null}
      {signing && draft ? (
        <SignatureDialog
          title={`Approve ${draft.agreementId} version ${draft.version}`}
          defaultMeaning="APPROVAL"
          confirmLabel="Sign and approve"
          perform={async (signature) => {
            const result = await sign({
              agreementId: draft.agreementId,
              version: draft.version,
              draftId: draft.draftId,
              signature: { printedName: signature.printedName, credential: signature.credential },
              reason: signature.reason,
            });
            if (result.error) throw result.error;
            return result.data?.signAgreementVersion;
          }}
          onCancel={() => setSigning(false)}
          onDone={(result) => {
            const types = ((result as { data: { recordedTypes: string[] } }).data.recordedTypes ??
              []) as string[];
            setOutcome({
              ok: true,
              text: types.some((type) => type.startsWith('concord.agreement.version-approved.'))
                ? 'Signed: both parties have signed, the version is approved.'
                : 'Signed: the other party’s QA signs next.',
            });
            setSigning(false);
            refetch({ requestPolicy: 'network-only' });
          }}
        >
          {`You approve version ${draft.version} of quality agreement ${draft.agreementId} for your organization, as its QA.`}
        </SignatureDialog>
      ) : null}
    </section>
  );
}

interface Field {
  name: string;
  label: string;
  options?: readonly string[];
  type?: string;
  initial?: string;
}

const triple = (value: string, label: string): [number, number, number] => {
  const numbers = value.split('/').map((part) => Number(part.trim()));
  if (numbers.length !== 3 || numbers.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`${label}: three whole numbers like 7/14/30`);
  return numbers as [number, number, number];
};

const formatHours = (hours: unknown) => {
  const { critical, major, minor } = hours as Record<string, number>;
  return `${critical}/${major}/${minor}`;
};

const formatDueDays = (days: unknown) =>
  (['critical', 'major', 'minor'] as const)
    .map((severity) => {
      const d = (days as Record<string, Record<string, number>>)[severity]!;
      return `${d.investigation}/${d.capa}/${d.closure}`;
    })
    .join('; ');

/** The standard split: the CDMO performs every activity, the sponsor approves the outcomes. */
const STANDARD_RESPONSIBILITIES = [
  ...[
    'BATCH_SCHEDULING',
    'MANUFACTURING',
    'BATCH_RECORD_REVIEW',
    'QC_TESTING',
    'COA_ISSUANCE',
    'QA_DISPOSITION',
    'QP_CERTIFICATION',
    'SHIPPING',
    'DEVIATION_REPORTING',
    'DEVIATION_INVESTIGATION',
    'CAPA',
  ].map((activity) => ({ activity, performedBy: 'CDMO' })),
  { activity: 'DEVIATION_APPROVAL', performedBy: 'SPONSOR' },
];

/**
 * Drafts a version of a quality agreement (an administrator of either party, or an operator):
 * its parties, product, notification deadlines and deviation due days, with the standard split
 * of responsibilities (another split is drafted with `concord agreements draft`). Both parties'
 * QA then sign it below.
 */
function AgreementDrafting({ onDrafted }: { onDrafted(agreementId: string): void }) {
  const [, draft] = useMutation(DraftAgreementVersionMutation);
  const [outcome, setOutcome] = useState<Outcome>(null);
  return (
    <ActForm
      title="Draft a version"
      name="draft-agreement"
      fields={[
        { name: 'agreementId', label: 'Agreement id' },
        { name: 'version', label: 'Version', type: 'number', initial: '1' },
        { name: 'sponsorId', label: 'Sponsor' },
        { name: 'cdmoId', label: 'CDMO' },
        { name: 'productId', label: 'Product id' },
        { name: 'productName', label: 'Product name' },
        { name: 'effectiveFrom', label: 'In force from', initial: new Date().toISOString() },
        {
          name: 'notification',
          label: 'Notify within (hours: critical/major/minor)',
          initial: '24/72/720',
        },
        {
          name: 'dueCritical',
          label: 'Critical: root cause/CAPA/closure (days)',
          initial: '7/14/30',
        },
        { name: 'dueMajor', label: 'Major: root cause/CAPA/closure (days)', initial: '30/45/60' },
        { name: 'dueMinor', label: 'Minor: root cause/CAPA/closure (days)', initial: '60/90/90' },
        { name: 'reason', label: 'Reason' },
      ]}
      outcome={outcome}
      onSubmit={async (values) => {
        let version;
        try {
          const [critical, major, minor] = triple(values.notification!, 'Notify within');
          const due = (key: string, label: string) => {
            const [investigation, capa, closure] = triple(values[key]!, label);
            return { investigation, capa, closure };
          };
          version = {
            agreementId: values.agreementId!,
            version: Number(values.version),
            sponsorId: values.sponsorId!,
            cdmoId: values.cdmoId!,
            products: [{ productId: values.productId!, name: values.productName! }],
            responsibilities: STANDARD_RESPONSIBILITIES,
            notificationDeadlinesHours: { critical, major, minor },
            deviationDueDays: {
              critical: due('dueCritical', 'Critical'),
              major: due('dueMajor', 'Major'),
              minor: due('dueMinor', 'Minor'),
            },
            effectiveFrom: values.effectiveFrom!,
          };
        } catch (error) {
          setOutcome({ ok: false, text: (error as Error).message });
          return;
        }
        const result = await draft({ version: version as never, reason: values.reason! });
        const answered = outcomeOf(
          result.data?.draftAgreementVersion,
          result.error,
          'Drafted: both parties’ QA sign it next.',
        );
        setOutcome(answered);
        if (answered?.ok) onDrafted(values.agreementId!);
      }}
    />
  );
}

/** A small form for one act: its fields, a submit button, and what the server answered. */
function ActForm(props: {
  title: string;
  name: string;
  fields: Field[];
  outcome: Outcome;
  onSubmit(values: Record<string, string>): Promise<void>;
}): ReactNode {
  const [busy, setBusy] = useState(false);
  // How many answers this form has had: an answer on screen while the next submission is in
  // flight would read as that submission's answer, so it is hidden until the new one arrives.
  const [answers, setAnswers] = useState(0);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const values = Object.fromEntries(
      [...new FormData(form).entries()].map(([key, value]) => [key, String(value)]),
    );
    setBusy(true);
    try {
      await props.onSubmit(values);
    } finally {
      setBusy(false);
      setAnswers((count) => count + 1);
    }
  };
  return (
    <form
      className="card admin-form"
      data-act={props.name}
      data-answers={answers}
      aria-busy={busy}
      onSubmit={(event) => void submit(event)}
    >
      <h3>{props.title}</h3>
      {props.fields.map((field) => {
        const id = `${props.name}-${field.name}`;
        return (
          <div className="field" key={field.name}>
            <label htmlFor={id}>{field.label}</label>
            {field.options ? (
              <select id={id} name={field.name} defaultValue={field.initial}>
                {field.options.map((option) => (
                  <option key={option} value={option}>
                    {option.toLowerCase().replaceAll('_', ' ')}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={id}
                name={field.name}
                type={field.type ?? 'text'}
                defaultValue={field.initial}
                required
              />
            )}
          </div>
        );
      })}
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Recording…' : props.title}
      </button>
      {props.outcome && !busy ? (
        <p
          className={props.outcome.ok ? 'notice notice-success' : 'notice notice-error'}
          role={props.outcome.ok ? 'status' : 'alert'}
        >
          {props.outcome.text}
        </p>
      ) : null}
    </form>
  );
}
