import type { Activity, ElectronicSignature, Id, Instant, Party } from '../shared/vocabulary.ts';
import type { Event } from './event.ts';

export type AgreementProduct = { productId: Id; name: string };

export type Responsibility = { activity: Activity; performedBy: Party; approvedBy?: Party };

export type NotificationDeadlinesHours = { critical: number; major: number; minor: number };

export type AgreementVersionApproved = Event<
  'concord.agreement.version-approved.v1',
  {
    agreementId: Id;
    version: number;
    sponsorId: Id;
    cdmoId: Id;
    products: AgreementProduct[];
    responsibilities: Responsibility[];
    notificationDeadlinesHours: NotificationDeadlinesHours;
    effectiveFrom: Instant;
    reason?: string;
    signatures: ElectronicSignature[];
  }
>;

/** One full version of a quality agreement (the data of `version-approved`). */
export type AgreementVersion = AgreementVersionApproved['data'];

export type AgreementTerminated = Event<
  'concord.agreement.terminated.v1',
  { agreementId: Id; effectiveAt: Instant; reason: string }
>;

export type AgreementEvent = AgreementVersionApproved | AgreementTerminated;

export type AgreementEventType = AgreementEvent['type'];
