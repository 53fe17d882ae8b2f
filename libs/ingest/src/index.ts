export {
  decideStreamCommands,
  type RecordedPlaces,
  type StreamCommand,
  type StreamCommandResult,
} from './command-handler.ts';
export {
  IngestPipeline,
  storedEventId,
  type IncomingEvent,
  type IngestPipelineOptions,
} from './ingest-pipeline.ts';
export {
  INGEST_REJECTION_CODES,
  type IngestRejectionCode,
  type Outcome,
  type ReceiptSigner,
  type Rejection,
} from './outcome.ts';
export {
  inMemoryOutcomeLog,
  sqlOutcomeLog,
  type OutcomeKey,
  type OutcomeLog,
  type RecordedAnswer,
} from './outcome-log.ts';
export { Registry, streams } from './registry.ts';
export {
  bearerTokens,
  httpIngestHandler,
  type HttpAuthenticator,
  type HttpIngestResponse,
} from './http-ingest.ts';
export {
  DEVIATION_BATCH_LINKER,
  reactTo,
  startDeviationBatchLinker,
  type ProcessManagerOptions,
} from './process-manager.ts';
export {
  DEADLINE_PROCESS,
  startDeadlineProcess,
  type DeadlineIndex,
  type DeadlineProcess,
  type DeadlineProcessOptions,
} from './deadline-process.ts';
export {
  sqlQuarantineResolutions,
  type QuarantineResolution,
  type QuarantineResolutions,
} from './quarantine-resolutions.ts';
