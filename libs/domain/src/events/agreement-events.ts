import type { CatalogueEvent } from './event.ts';

export type AgreementVersionApproved = CatalogueEvent<'concord.agreement.version-approved.v1'>;

/** One full version of a quality agreement (the data of `version-approved`). */
export type AgreementVersion = AgreementVersionApproved['data'];

export type AgreementProduct = AgreementVersion['products'][number];

export type Responsibility = AgreementVersion['responsibilities'][number];

export type NotificationDeadlinesHours = AgreementVersion['notificationDeadlinesHours'];

export type AgreementTerminated = CatalogueEvent<'concord.agreement.terminated.v1'>;

export type AgreementVersionDrafted = CatalogueEvent<'concord.agreement.version-drafted.v1'>;

export type AgreementVersionSigned = CatalogueEvent<'concord.agreement.version-signed.v1'>;

export type AgreementEvent =
  | AgreementVersionApproved
  | AgreementTerminated
  | AgreementVersionDrafted
  | AgreementVersionSigned;

export type AgreementEventType = AgreementEvent['type'];
