import type { CatalogueEvent } from './event.ts';

/**
 * A version approved by both parties: v2 adds the deviations' due dates (`deviationDueDays`);
 * a v1 version is a v2 one without them, so both are read alike.
 */
export type AgreementVersionApproved =
  | CatalogueEvent<'concord.agreement.version-approved.v1'>
  | CatalogueEvent<'concord.agreement.version-approved.v2'>;

/** One full version of a quality agreement (the data of `version-approved`, v2's shape). */
export type AgreementVersion = CatalogueEvent<'concord.agreement.version-approved.v2'>['data'];

export type AgreementProduct = AgreementVersion['products'][number];

export type Responsibility = AgreementVersion['responsibilities'][number];

export type NotificationDeadlinesHours = AgreementVersion['notificationDeadlinesHours'];

/** Investigation, CAPA and closure due days by severity; absent from versions that set none. */
export type DeviationDueDays = NonNullable<AgreementVersion['deviationDueDays']>;

export type AgreementTerminated = CatalogueEvent<'concord.agreement.terminated.v1'>;

export type AgreementVersionDrafted =
  | CatalogueEvent<'concord.agreement.version-drafted.v1'>
  | CatalogueEvent<'concord.agreement.version-drafted.v2'>;

export type AgreementVersionSigned = CatalogueEvent<'concord.agreement.version-signed.v1'>;

export type AgreementEvent =
  | AgreementVersionApproved
  | AgreementTerminated
  | AgreementVersionDrafted
  | AgreementVersionSigned;

export type AgreementEventType = AgreementEvent['type'];
