import type {
  ManufacturingAborted,
  ManufacturingCompleted,
  ManufacturingHeld,
  ManufacturingResumed,
  ManufacturingStarted,
} from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { outOfOrder, type BatchStatus, type ScheduledBatch } from './batch-state.ts';

export type StartManufacturing = BatchCommandOf<'concord.batch.manufacturing-started.v1'>;
export type HoldManufacturing = BatchCommandOf<'concord.batch.manufacturing-held.v1'>;
export type ResumeManufacturing = BatchCommandOf<'concord.batch.manufacturing-resumed.v1'>;
export type AbortManufacturing = BatchCommandOf<'concord.batch.manufacturing-aborted.v1'>;
export type CompleteManufacturing = BatchCommandOf<'concord.batch.manufacturing-completed.v1'>;

type ManufacturingCommand =
  | StartManufacturing
  | HoldManufacturing
  | ResumeManufacturing
  | AbortManufacturing
  | CompleteManufacturing;

type ManufacturingEvent =
  | ManufacturingStarted
  | ManufacturingHeld
  | ManufacturingResumed
  | ManufacturingAborted
  | ManufacturingCompleted;

/** The statuses each manufacturing event may follow. */
const allowedFrom: Record<ManufacturingCommand['type'], readonly BatchStatus[]> = {
  'concord.batch.manufacturing-started.v1': ['scheduled'],
  'concord.batch.manufacturing-held.v1': ['in-manufacture'],
  'concord.batch.manufacturing-resumed.v1': ['held'],
  // A batch can be abandoned before it starts, while running or while on hold, never after.
  'concord.batch.manufacturing-aborted.v1': ['scheduled', 'in-manufacture', 'held'],
  'concord.batch.manufacturing-completed.v1': ['in-manufacture'],
};

export function recordManufacturing(
  command: ManufacturingCommand,
  state: ScheduledBatch,
): ManufacturingEvent[] {
  if (!allowedFrom[command.type].includes(state.status)) throw outOfOrder(command.type, state);
  return [
    { type: command.type, data: command.data, metadata: eventMetadata(command.metadata) },
  ] as ManufacturingEvent[];
}
