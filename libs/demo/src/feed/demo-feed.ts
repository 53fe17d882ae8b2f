import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  httpTransport,
  PartnerClientError,
  type HttpTransport,
  type IngestOutcome,
} from '@concord/partner-client';
import { keysOf, type DemoKeys } from '../demo-keys.ts';
import { WORLD_PARTNERSHIPS, type WorldPartnership } from '@concord/contract/world';
import { nextNumber, type NumberSeries } from './numbering.ts';
import { PartnerEvents } from './partner-events.ts';
import {
  batchSteps,
  blocksRelease,
  detectedAtFor,
  deviationSteps,
  SCENARIO_ROTATION,
  subjectOf,
  type BatchScenario,
  type BatchWorkflow,
  type DeviationWorkflow,
  type Milestone,
  type Step,
  type Workflow,
} from './workflows.ts';
import type { DeviationKind } from './deviation-stories.ts';

/** How fast the feed plays. Every wait inside a lifecycle is a number of ticks (`stepMs`). */
export interface DemoPace {
  /** One tick, in ms. A batch goes from scheduling to shipment in about 20 ticks. */
  stepMs: number;
  /** Ticks between two new batches of one partnership. */
  newBatchEverySteps: number;
  /**
   * Least wall-clock time between closing a blocking deviation and releasing the batch it
   * blocked: the platform's deviation ↔ batch process manager records the closure in the batch
   * asynchronously (it polls the store, and on a busy server reads only below the oldest running
   * transaction), and releasing before it has would be refused (the feed then tries again).
   */
  settleMs: number;
  /** Most batches and deviations in flight (a bound on memory, whatever happens). */
  maxInFlight: number;
  /**
   * Most requests to ingest at once. Due steps beyond it wait, oldest workflow first, and no new
   * batch starts while any waits: a slow platform (PGlite on a busy machine) gets fewer batches
   * that still finish, rather than many that all crawl.
   */
  concurrency: number;
}

/**
 * `demo`: a batch lifecycle in 1.3–2.5 minutes, a new batch per partnership about every 30 s,
 * around ten batches in flight. `fast`: the same story in a few seconds, for tests.
 */
export const DEMO_PACES: Readonly<Record<'demo' | 'fast', DemoPace>> = {
  demo: { stepMs: 4_000, newBatchEverySteps: 8, settleMs: 8_000, maxInFlight: 60, concurrency: 4 },
  fast: { stepMs: 20, newBatchEverySteps: 25, settleMs: 1_500, maxInFlight: 60, concurrency: 8 },
};

/** The slice of a pino logger the feed uses. */
export interface DemoFeedLogger {
  debug?(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface DemoFeedOptions {
  /** The platform's HTTP ingest endpoint, e.g. http://127.0.0.1:4000/ingest. */
  ingestUrl: string | URL;
  /** Signing and API keys of the demo organizations (registered by `seedDemoWorld`). */
  keys: DemoKeys;
  /** When the partners' acts happen (event times, numbering). @default () => new Date() */
  clock?: () => Date;
  /** @default 'demo' (a partial pace is completed from it) */
  pace?: 'demo' | 'fast' | Partial<DemoPace>;
  /** @default warnings and errors on stderr */
  logger?: DemoFeedLogger;
  /** Stops the feed when aborted (as `stop()` does). */
  signal?: AbortSignal;
  /**
   * Where the feed keeps the batches and deviations in flight (JSON, rewritten at most once a
   * second and on stop), so a restart carries them on instead of leaving them half-way. Keep it
   * next to the database it describes. @default none: a restart starts new batches only
   */
  stateFile?: string;
}

export interface DemoFeedStats {
  /** Events sent and answered. */
  published: number;
  /** Answered accepted (redeliveries included). */
  accepted: number;
  /** Accepted as redeliveries of events already recorded (a step re-sent after a restart). */
  duplicates: number;
  /** Answered rejected: each one is a bug in the feed (logged at error level). */
  rejected: number;
  /** Releases refused as still blocked although the blocker was closed, tried again later. */
  deferredReleases: number;
  /** Requests that got no answer (platform unreachable, 5xx): their steps are tried again. */
  failedRequests: number;
  batchesScheduled: number;
  batchesReleased: number;
  batchesCertified: number;
  batchesShipped: number;
  batchesRejected: number;
  oosResults: number;
  deviationsReported: number;
  lateDeviations: number;
  deviationsClosed: number;
  /** Batches and deviations under way now. */
  inFlight: number;
  /** Workflows carried on from the state file at start. */
  resumed: number;
  lastRejection?: { code: string; message: string; type?: string; subject: string; step: string };
}

export interface DemoFeed {
  /** Stops scheduling, cancels requests in flight (their steps are re-sent on resume), saves. */
  stop(): Promise<void>;
  stats(): DemoFeedStats;
  /** Resolves once the feed has stopped. */
  readonly done: Promise<void>;
}

interface SavedState {
  version: 1;
  savedAt: string;
  numbers: NumberSeries;
  rotation: Record<string, number>;
  workflows: Workflow[];
}

const consoleLogger: DemoFeedLogger = {
  info: () => undefined,
  warn: (details, message) => console.warn(`demo feed: ${message}`, details),
  error: (details, message) => console.error(`demo feed: ${message}`, details),
};

function paceOf(pace: DemoFeedOptions['pace']): DemoPace {
  if (pace === undefined || pace === 'demo') return DEMO_PACES.demo;
  if (pace === 'fast') return DEMO_PACES.fast;
  return { ...DEMO_PACES.demo, ...pace };
}

/** Resolves after `ms`, or at once when `signal` aborts (without leaving a listener behind). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

const jitter = () => 0.75 + Math.random() * 0.5;

/**
 * Publishes a living exchange between the demo partners through the platform's real HTTP ingest,
 * every event signed with its organization's key: batches scheduled one after another for each
 * partnership and carried through manufacture (sometimes held and resumed), record review, QC
 * (now and then an out-of-specification result, invalidated or confirmed), CoA, disposition, QP
 * certification by whoever the agreement names, and shipment; deviations of each severity, a
 * major one regularly reported after the agreement's deadline, investigated, with CAPA and
 * closure approved by the sponsor, major and critical ones holding their batch's release until
 * they are closed. Every outcome is checked; a rejection is logged as a bug and counted.
 *
 * Memory stays flat: only batches and deviations in flight are held (at most `maxInFlight`),
 * finished ones are forgotten, and stats are counters.
 */
export function startDemoFeed(options: DemoFeedOptions): DemoFeed {
  const pace = paceOf(options.pace);
  const clock = options.clock ?? (() => new Date());
  const logger = options.logger ?? consoleLogger;
  const ingestUrl = new URL(options.ingestUrl);
  const events = new PartnerEvents(options.keys);
  const partnerships = new Map(WORLD_PARTNERSHIPS.map((p) => [p.agreementId, p]));
  const controller = new AbortController();
  const signal = controller.signal;
  // Each organization sends as a partner system would: the partner client, with its API key. A
  // step that goes unanswered is retried by the feed itself (after a pause), not by the client.
  const transports = new Map<string, HttpTransport>();
  const transportOf = (sender: string): HttpTransport => {
    let transport = transports.get(sender);
    if (!transport) {
      transport = httpTransport({
        baseUrl: new URL('.', ingestUrl),
        path: ingestUrl.pathname.split('/').pop() ?? 'ingest',
        credential: { apiKey: keysOf(options.keys, sender).apiKey },
        retry: { retries: 0 },
        signal,
      });
      transports.set(sender, transport);
    }
    return transport;
  };

  const workflows = new Map<string, Workflow>();
  const running = new Set<string>();
  const inFlightSteps = new Set<Promise<void>>();
  let numbers: NumberSeries = {};
  const rotation = new Map<string, number>();
  const nextBatchAt = new Map<string, number>();
  // Carried on from the state file and not yet confirmed by an accepted step.
  const unconfirmed = new Set<string>();
  let dirty = false;
  let lastSavedAt = 0;
  const counters: Omit<DemoFeedStats, 'inFlight' | 'lastRejection'> = {
    published: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    deferredReleases: 0,
    failedRequests: 0,
    batchesScheduled: 0,
    batchesReleased: 0,
    batchesCertified: 0,
    batchesShipped: 0,
    batchesRejected: 0,
    oosResults: 0,
    deviationsReported: 0,
    lateDeviations: 0,
    deviationsClosed: 0,
    resumed: 0,
  };
  let lastRejection: DemoFeedStats['lastRejection'];

  const milestoneCounter: Record<Milestone, keyof typeof counters> = {
    'batch-scheduled': 'batchesScheduled',
    'batch-released': 'batchesReleased',
    'batch-certified': 'batchesCertified',
    'batch-shipped': 'batchesShipped',
    'batch-rejected': 'batchesRejected',
    'oos-result': 'oosResults',
    'deviation-reported': 'deviationsReported',
    'deviation-closed': 'deviationsClosed',
  };

  const partnershipOf = (workflow: Workflow): WorldPartnership => {
    const found = partnerships.get(workflow.agreementId);
    if (!found) throw new Error(`the demo has no partnership ${workflow.agreementId}`);
    return found;
  };
  const stepsOf = (workflow: Workflow): Step[] =>
    workflow.kind === 'batch'
      ? batchSteps(workflow, partnershipOf(workflow), events)
      : deviationSteps(workflow, partnershipOf(workflow), events);
  const ticks = (count: number) => count * pace.stepMs * jitter();

  // ---- state ---------------------------------------------------------------------------------

  async function load(): Promise<void> {
    if (!options.stateFile || !existsSync(options.stateFile)) return;
    try {
      const saved = JSON.parse(await readFile(options.stateFile, 'utf8')) as SavedState;
      if (saved.version !== 1 || !Array.isArray(saved.workflows)) throw new Error('unknown format');
      numbers = saved.numbers ?? {};
      for (const [agreementId, count] of Object.entries(saved.rotation ?? {}))
        rotation.set(agreementId, count);
      const now = Date.now();
      for (const [index, workflow] of saved.workflows.entries()) {
        if (!partnerships.has(workflow.agreementId)) continue;
        // Carried on shortly, one after another, rather than all at once.
        workflows.set(subjectOf(workflow), {
          ...workflow,
          dueAt: now + index * 25,
          deferrals: 0,
        } as Workflow);
        unconfirmed.add(subjectOf(workflow));
      }
      counters.resumed = workflows.size;
      if (workflows.size > 0)
        logger.info({ resumed: workflows.size }, 'carrying on batches and deviations in flight');
    } catch (error) {
      logger.warn(
        { err: error, stateFile: options.stateFile },
        'the saved feed state cannot be read; starting afresh',
      );
    }
  }

  async function save(): Promise<void> {
    if (!options.stateFile) return;
    dirty = false;
    lastSavedAt = Date.now();
    const state: SavedState = {
      version: 1,
      savedAt: new Date().toISOString(),
      numbers,
      rotation: Object.fromEntries(rotation),
      workflows: [...workflows.values()],
    };
    try {
      await mkdir(dirname(options.stateFile), { recursive: true });
      const temporary = `${options.stateFile}.${process.pid}.tmp`;
      await writeFile(temporary, JSON.stringify(state));
      await rename(temporary, options.stateFile);
    } catch (error) {
      logger.warn({ err: error, stateFile: options.stateFile }, 'the feed state was not saved');
    }
  }

  // ---- starting batches and deviations ---------------------------------------------------------

  /** A new batch of the partnership, next in its rotation of scenarios unless one is given. */
  function startBatch(partnership: WorldPartnership, scenario?: BatchScenario): void {
    const { product } = partnership;
    const { year, number } = nextNumber(numbers, `batch/${product.code}`, clock());
    const index = rotation.get(partnership.agreementId) ?? 0;
    if (scenario === undefined) rotation.set(partnership.agreementId, index + 1);
    // Each partnership starts elsewhere in the rotation, so the first minute shows everything.
    const offset = 2 * WORLD_PARTNERSHIPS.indexOf(partnership);
    const workflow: BatchWorkflow = {
      kind: 'batch',
      agreementId: partnership.agreementId,
      // The CDMO schedules the batch, so its id is in the CDMO's namespace.
      batchId: `${partnership.cdmoId}:b-${partnership.siteCode}-${product.code.toLowerCase()}-${year}-${number.toLowerCase()}`,
      batchNumber: `${product.code}-${year}-${number}`,
      scenario: scenario ?? SCENARIO_ROTATION[(index + offset) % SCENARIO_ROTATION.length]!,
      step: 0,
      dueAt: Date.now(),
    };
    workflows.set(workflow.batchId, workflow);
    dirty = true;
  }

  function startDeviation(batch: BatchWorkflow, kind: DeviationKind): void {
    const partnership = partnershipOf(batch);
    const site = partnership.siteCode;
    const { year, number } = nextNumber(numbers, `deviation/${site}`, clock());
    const workflow: DeviationWorkflow = {
      kind: 'deviation',
      agreementId: batch.agreementId,
      // The CDMO reports the deviation, in its own namespace.
      deviationId: `${partnership.cdmoId}:dev-${site}-${year}-${number.toLowerCase()}`,
      deviationNumber: `DEV-${site.toUpperCase()}-${year}-${number}`,
      capaId: `capa-${site}-${year}-${number.toLowerCase()}`,
      batchId: batch.batchId,
      batchNumber: batch.batchNumber,
      story: kind,
      detectedAt: detectedAtFor(kind, partnership, clock()),
      step: 0,
      dueAt: Date.now(),
    };
    workflows.set(workflow.deviationId, workflow);
    if (blocksRelease(kind)) batch.blockedBy = workflow.deviationId;
  }

  /** The workflow is done: forget it; a batch its deviation blocked may go on once settled. */
  function finish(workflow: Workflow): void {
    workflows.delete(subjectOf(workflow));
    unconfirmed.delete(subjectOf(workflow));
    if (workflow.kind !== 'deviation') return;
    const batch = workflows.get(workflow.batchId);
    if (batch?.kind === 'batch' && batch.blockedBy === workflow.deviationId)
      batch.blockerClosedAt = Date.now();
  }

  /** The workflow cannot go on (a bug was logged): drop it, and a batch waiting on it. */
  function abandon(workflow: Workflow): void {
    workflows.delete(subjectOf(workflow));
    unconfirmed.delete(subjectOf(workflow));
    if (workflow.kind !== 'deviation') return;
    const batch = workflows.get(workflow.batchId);
    if (batch?.kind === 'batch' && batch.blockedBy === workflow.deviationId) {
      logger.warn(
        { batchId: batch.batchId, deviationId: workflow.deviationId },
        'abandoning a batch whose blocking deviation could not be closed',
      );
      workflows.delete(batch.batchId);
    }
  }

  // ---- steps ---------------------------------------------------------------------------------

  /** Whether a batch waiting for its blocking deviation may go on (closed, and settled). */
  function blockerSettled(workflow: BatchWorkflow, now: number): boolean {
    if (workflow.blockedBy && workflows.has(workflow.blockedBy)) return false;
    // Resumed without its deviation (closed before the state was saved): settle from now.
    workflow.blockerClosedAt ??= now;
    return now >= workflow.blockerClosedAt + pace.settleMs;
  }

  function rejected(workflow: Workflow, step: Step, outcomes: IngestOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.status !== 'rejected') continue;
      counters.rejected++;
      const { code, message, rejectedEventType } = outcome.rejection;
      lastRejection = {
        code,
        message,
        ...(rejectedEventType ? { type: rejectedEventType } : {}),
        subject: subjectOf(workflow),
        step: step.name,
      };
      logger.error(
        {
          ...lastRejection,
          scenario: workflow.kind === 'batch' ? workflow.scenario : workflow.story,
        },
        'BUG in the demo feed: ingest rejected an event',
      );
    }
  }

  async function runStep(workflow: Workflow): Promise<void> {
    const steps = stepsOf(workflow);
    const step = steps[workflow.step];
    if (!step) return finish(workflow);
    // A step sent again (after a restart, a lost answer) must be the same event, not a new one
    // under the same id (which the platform refuses as event.id-conflict): built at the same time.
    workflow.stepBuiltAt ??= clock().getTime();
    dirty = true;
    // An event the contract refuses throws here: a bug, reported by launch().
    const built = step.build(new Date(workflow.stepBuiltAt));
    let outcomes: IngestOutcome[];
    try {
      outcomes = await transportOf(step.sender).sendBatch(built);
    } catch (error) {
      // Stopping cancels requests; the step is sent again (a redelivery) when the feed resumes.
      if (signal.aborted) return;
      counters.failedRequests++;
      const retriable = error instanceof PartnerClientError && error.retriable;
      if (!retriable) {
        logger.error(
          { err: error, subject: subjectOf(workflow), step: step.name },
          'BUG in the demo feed (or its keys are not the platform’s): the step cannot be sent',
        );
        return abandon(workflow);
      }
      logger.warn(
        { err: error, subject: subjectOf(workflow), step: step.name },
        'ingest did not answer; the step will be sent again',
      );
      workflow.dueAt = Date.now() + Math.max(1_000, pace.stepMs * 2);
      return;
    }
    counters.published += outcomes.length;
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    if (refused.length > 0) {
      const stillBlocked =
        step.waitsForBlocker &&
        refused.every(
          (outcome) =>
            outcome.status === 'rejected' &&
            outcome.rejection.code === 'batch.release-blocked.open-deviation',
        );
      if (stillBlocked && workflow.kind === 'batch' && (workflow.deferrals ?? 0) < 5) {
        // The process manager has not recorded the closure yet (it is slower than settleMs):
        // not the feed's mistake, and the same release will pass a little later.
        workflow.deferrals = (workflow.deferrals ?? 0) + 1;
        delete workflow.stepBuiltAt;
        counters.deferredReleases++;
        logger.warn(
          { batchId: workflow.batchId, deviationId: workflow.blockedBy },
          'release refused as still blocked by a closed deviation; trying again later',
        );
        workflow.dueAt = Date.now() + pace.settleMs;
        return;
      }
      // A run started again without its saved state, within the tenth of a second of the run
      // before's last number (or after that run numbered faster than the clock), hands out a
      // number that run used: the batch's first event has the id that run's had, with other
      // content. Not a bug: the batch takes the next number.
      const numberTaken =
        workflow.kind === 'batch' &&
        workflow.step === 0 &&
        !unconfirmed.has(workflow.batchId) &&
        refused.every(
          (outcome) =>
            outcome.status === 'rejected' && outcome.rejection.code === 'event.id-conflict',
        );
      if (numberTaken) {
        logger.warn(
          { batchId: workflow.batchId },
          'an earlier run of the feed used this batch number; the batch is numbered again',
        );
        abandon(workflow);
        startBatch(partnershipOf(workflow), workflow.scenario);
        return;
      }
      const unknownHere = refused.every(
        (outcome) => outcome.status === 'rejected' && outcome.rejection.code === 'subject.unknown',
      );
      if (unknownHere && unconfirmed.has(subjectOf(workflow))) {
        // The state file outlived its database (wiped, or another one): not a bug, just stale.
        logger.warn(
          { subject: subjectOf(workflow) },
          'the saved feed state names a batch or deviation this platform does not know; dropped',
        );
        unconfirmed.delete(subjectOf(workflow));
        return abandon(workflow);
      }
      rejected(workflow, step, outcomes);
      return abandon(workflow);
    }
    unconfirmed.delete(subjectOf(workflow));
    for (const outcome of outcomes) {
      counters.accepted++;
      if (outcome.status === 'accepted' && outcome.duplicate) counters.duplicates++;
    }
    if (step.milestone) counters[milestoneCounter[step.milestone]]++;
    if (
      workflow.kind === 'deviation' &&
      step.name === 'reported' &&
      workflow.story === 'major-late'
    )
      counters.lateDeviations++;
    logger.debug?.({ subject: subjectOf(workflow), step: step.name }, 'step accepted');
    if (step.discovers && workflow.kind === 'batch') startDeviation(workflow, step.discovers);
    workflow.step++;
    delete workflow.stepBuiltAt;
    dirty = true;
    const next = steps[workflow.step];
    if (!next) return finish(workflow);
    workflow.dueAt = Date.now() + ticks(next.after);
  }

  function launch(workflow: Workflow): void {
    const subject = subjectOf(workflow);
    running.add(subject);
    const step: Promise<void> = runStep(workflow)
      .catch((error: unknown) => {
        // Counted with the rejections: the platform would have refused it, had it been sent.
        counters.rejected++;
        lastRejection = {
          code: 'demo-feed.step-failed',
          message: error instanceof Error ? error.message : String(error),
          subject,
          step: stepsOf(workflow)[workflow.step]?.name ?? 'unknown',
        };
        logger.error({ err: error, subject }, 'BUG in the demo feed: a step failed');
        abandon(workflow);
      })
      .finally(() => {
        running.delete(subject);
        inFlightSteps.delete(step);
      });
    inFlightSteps.add(step);
  }

  function tick(): void {
    const now = Date.now();
    let waiting = 0;
    // The map keeps insertion order: the oldest workflows are served first.
    for (const workflow of workflows.values()) {
      if (running.has(subjectOf(workflow)) || workflow.dueAt > now) continue;
      if (workflow.kind === 'batch' && workflow.blockedBy) {
        const step = stepsOf(workflow)[workflow.step];
        if (step?.waitsForBlocker && !blockerSettled(workflow, now)) continue;
      }
      if (running.size >= pace.concurrency) waiting++;
      else launch(workflow);
    }
    for (const partnership of WORLD_PARTNERSHIPS) {
      const due = nextBatchAt.get(partnership.agreementId);
      if (due === undefined || now < due) continue;
      if (waiting === 0 && workflows.size < pace.maxInFlight) startBatch(partnership);
      else
        logger.debug?.(
          { inFlight: workflows.size, waiting },
          'the platform is behind; no new batch',
        );
      nextBatchAt.set(partnership.agreementId, now + ticks(pace.newBatchEverySteps));
    }
  }

  async function run(): Promise<void> {
    await load();
    const start = Date.now();
    // Partnerships start a quarter interval apart, so their batches do not move in lockstep.
    for (const [index, partnership] of WORLD_PARTNERSHIPS.entries())
      nextBatchAt.set(
        partnership.agreementId,
        start + (index * pace.newBatchEverySteps * pace.stepMs) / WORLD_PARTNERSHIPS.length,
      );
    const pollMs = Math.min(250, Math.max(5, pace.stepMs / 4));
    let lastSummaryAt = start;
    while (!signal.aborted) {
      try {
        tick();
        if (dirty && Date.now() - lastSavedAt >= 1_000) await save();
        if (Date.now() - lastSummaryAt >= 60_000) {
          lastSummaryAt = Date.now();
          logger.info(stats(), 'demo feed progress');
        }
      } catch (error) {
        logger.error({ err: error }, 'BUG in the demo feed: its scheduler failed');
      }
      await pause(pollMs, signal);
    }
    await Promise.allSettled([...inFlightSteps]);
    await save();
  }

  function stats(): DemoFeedStats {
    return {
      ...counters,
      inFlight: workflows.size,
      ...(lastRejection ? { lastRejection } : {}),
    };
  }

  const done = run().catch((error: unknown) => {
    logger.error({ err: error }, 'BUG in the demo feed: it stopped');
  });
  const stop = async () => {
    controller.abort();
    await done;
  };
  if (options.signal) {
    if (options.signal.aborted) controller.abort();
    else options.signal.addEventListener('abort', () => controller.abort(), { once: true });
  }
  return { stop, stats, done };
}
