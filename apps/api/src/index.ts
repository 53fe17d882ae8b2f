export { ChangeFeed } from './change-feed.ts';
export type { ApiContext } from './context.ts';
export {
  ActRefusedError,
  HumanActs,
  type HumanAct,
  type RecordedAct,
  type SignatureInput,
} from './human-acts.ts';
export { printedSchema, schema } from './schema/index.ts';
export { createApi, type Api, type ApiOptions } from './server.ts';
export {
  HEADERS_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  startApiServer,
  type ApiServer,
  type ApiServerOptions,
} from './api-server.ts';
export type { QuarantineService, QuarantinedRecordView } from './schema/operator-desk.ts';
