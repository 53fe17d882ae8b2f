import type { BatchEvent } from '../events/batch-events.ts';
import { eventMetadata } from '../shared/command.ts';
import type { BatchCommandOf } from './batch-command.ts';
import { assertInLifecycle, type BatchLifecycleAct, type ScheduledBatch } from './batch-state.ts';

/**
 * An act that the lifecycle alone governs (manufacturing started, held, resumed, aborted,
 * completed): recorded as the party states it when `batchLifecycle` allows it now. Acts with
 * rules of their own (signatures, specifications, release blocks) have an operation of their own.
 */
export function recordLifecycleAct(
  command: BatchCommandOf<BatchLifecycleAct>,
  state: ScheduledBatch,
): BatchEvent[] {
  assertInLifecycle(command.type, state);
  const event = {
    type: command.type,
    data: command.data,
    metadata: eventMetadata(command.metadata),
  };
  return [event as BatchEvent];
}
