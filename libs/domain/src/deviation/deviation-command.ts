import type { AgreementsInForce, AuthorizationSubject } from '../agreement/authorization.ts';
import type { DeviationEvent, DeviationReportedLate } from '../events/deviation-events.ts';
import type { DeviationDueDatesSet } from './deadlines.ts';
import type { RecordEvent } from '../shared/command.ts';
import type { Id } from '../shared/vocabulary.ts';

/**
 * What the deviation decider needs from elsewhere: the agreement version in force at the
 * command's occurred-at (parties, responsibilities, notification deadlines) and, when a report
 * links batches, those batches' parties (from their streams), so nobody links another's batch.
 */
export type DeviationContext = AgreementsInForce & {
  linkedBatches?: Readonly<Record<Id, AuthorizationSubject>>;
};

export type DeviationCommand = RecordEvent<
  Exclude<DeviationEvent, DeviationReportedLate | DeviationDueDatesSet>,
  DeviationContext
>;

export type DeviationCommandType = DeviationCommand['type'];

export type DeviationCommandOf<Type extends DeviationCommandType> = Extract<
  DeviationCommand,
  { type: Type }
>;
