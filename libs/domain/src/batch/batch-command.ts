import type { AgreementsInForce } from '../agreement/authorization.ts';
import type { BatchEvent, OosInvestigationOpened } from '../events/batch-events.ts';
import type { RecordEvent } from '../shared/command.ts';

/**
 * What the batch decider needs from elsewhere: the quality agreement version in force at the
 * command's occurred-at (see `agreementInForce`). Platform commands need none.
 */
export type BatchContext = AgreementsInForce;

/** Every batch event a partner, a person or the platform may ask to record. */
export type BatchCommand = RecordEvent<Exclude<BatchEvent, OosInvestigationOpened>, BatchContext>;

export type BatchCommandType = BatchCommand['type'];

export type BatchCommandOf<Type extends BatchCommandType> = Extract<BatchCommand, { type: Type }>;
