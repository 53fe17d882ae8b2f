import type {
  ManufacturingAborted,
  ManufacturingCompleted,
  ManufacturingHeld,
  ManufacturingResumed,
  ManufacturingStarted,
} from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, type ScheduledBatch } from './batch-state.ts';

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

export function recordManufacturing(
  command: ManufacturingCommand,
  state: ScheduledBatch,
): ManufacturingEvent[] {
  assertInLifecycle(command.type, state);
  return [
    { type: command.type, data: command.data, metadata: eventMetadata(command.metadata) },
  ] as ManufacturingEvent[];
}
