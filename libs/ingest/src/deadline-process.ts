import { createHash } from 'node:crypto';
import {
  agreementVersionAt,
  deadlineWarningCommand,
  deadlineWarningsDue,
  deviationDecider,
  evolveAgreement,
  evolveDeviation,
  initialAgreementState,
  initialDeviationState,
  streams,
  toDomainEvent,
  warningKey,
  type AgreementEvent,
  type DeadlineWarning,
  type DeviationEvent,
} from '@concord/domain';
import type { EventStore } from '@concord/event-store';
import { decideStreamCommands } from './command-handler.ts';

/** The deadline process's leader-election role. */
export const DEADLINE_PROCESS = 'deadline-process';

/**
 * Where the deadline process finds the deviations with a warning that may be due: an index of
 * the due dates the store holds (the read model's `rm_deviations.next_deadline_check`). It only
 * says where to look: what is due is decided from the deviation's stream.
 */
export interface DeadlineIndex {
  /** Deviations with a warning due at or before `now`, earliest first, at most `limit`. */
  dueBy(now: string, limit: number): Promise<string[]>;
}

export interface DeadlineProcessOptions {
  store: EventStore;
  index: DeadlineIndex;
  /** The clock the due dates are judged by (a test's controllable one). @default () => new Date() */
  clock?: () => Date;
  /** How often to look. @default 30_000 */
  intervalMs?: number;
  /** Deviations looked at per round. @default 200 */
  batchSize?: number;
  onError?: (error: unknown) => void;
  /** Told about each warning recorded (for logs and metrics). */
  onWarned?: (warning: { deviationId: string; type: string; deadline: string }) => void;
}

export interface DeadlineProcess {
  /** Looks once: records every warning due now; resolves to how many were recorded. */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** The warning's event id: derived from what it warns of, so it is recorded once whoever records it. */
function warningEventId(warning: Pick<DeadlineWarning, 'type' | 'data'>): string {
  const digest = createHash('sha256')
    .update(`${warning.data.deviationId}|${warningKey(warning)}`)
    .digest('hex');
  return `deadline-${digest.slice(0, 32)}`;
}

/**
 * Warns both parties before a deviation's investigation, CAPA or closure due date and when it
 * passes. The timers are the `due-dates-set` events in the deviation streams (they survive any
 * restart); each round asks the index which deviations have a warning due, folds each one's
 * stream, and records through the deviation decider what the domain's rule says is due now. A
 * warning's id is derived from it and the decider refuses a repeat, so a second process, a
 * retry, or an index that lags records nothing twice. The store then carries each warning to
 * the read model, subscriptions and both parties' outbound topics like any deviation event.
 */
export function startDeadlineProcess(options: DeadlineProcessOptions): DeadlineProcess {
  const { store, index, clock = () => new Date(), intervalMs = 30_000, batchSize = 200 } = options;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> = Promise.resolve(0);

  async function warnDeviation(deviationId: string, now: string): Promise<number> {
    const streamId = streams.deviation(deviationId);
    const state = (await store.readStream(streamId))
      .map((stored) => toDomainEvent<DeviationEvent>(stored))
      .reduce(evolveDeviation, initialDeviationState());
    if (state.status === 'empty') return 0;
    const agreement = (await store.readStream(streams.agreement(state.agreementId)))
      .map((stored) => toDomainEvent<AgreementEvent>(stored))
      .reduce(evolveAgreement, initialAgreementState());
    // The parties of an agreement never change: any version names the sponsor.
    const inForce =
      agreementVersionAt(agreement, now) ??
      (agreement.status === 'empty' ? undefined : agreement.versions.at(-1));
    const warnings = deadlineWarningsDue(state, now, inForce?.sponsorId);
    if (warnings.length === 0) return 0;
    const results = await decideStreamCommands({
      store,
      streamId,
      decider: deviationDecider,
      commands: warnings.map((warning) => {
        const eventId = warningEventId(warning);
        const command = deadlineWarningCommand(warning, now, eventId);
        return { command: { ...command, context: inForce ? { agreement: inForce } : {} }, eventId };
      }),
    });
    let recorded = 0;
    for (const [i, result] of results.entries()) {
      if (result.status !== 'recorded') continue;
      recorded++;
      const warning = warnings[i]!;
      options.onWarned?.({ deviationId, type: warning.type, deadline: warning.data.deadline });
    }
    return recorded;
  }

  async function tick(): Promise<number> {
    const now = clock().toISOString();
    let recorded = 0;
    for (const deviationId of await index.dueBy(now, batchSize)) {
      try {
        recorded += await warnDeviation(deviationId, now);
      } catch (error) {
        // One deviation that cannot be warned about now never holds up the others.
        options.onError?.(error);
      }
    }
    return recorded;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().catch((error: unknown) => {
        options.onError?.(error);
        return 0;
      });
      void running.finally(schedule);
    }, intervalMs);
    timer.unref?.();
  }
  schedule();

  return {
    tick: () => {
      running = running.then(tick, tick);
      return running;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
