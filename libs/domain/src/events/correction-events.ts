import type { Id } from '../shared/vocabulary.ts';
import type { Event } from './event.ts';

/** One changed value: `path` is a JSON pointer into the corrected event's data. */
export type CorrectionChange = { path: string; oldValue: unknown; newValue: unknown };

export type CorrectionRecorded = Event<
  'concord.correction.recorded.v1',
  { correctedEventId: Id; changes: CorrectionChange[]; reason: string }
>;
