export {
  activeContext,
  contextOf,
  linksTo,
  spanContextOf,
  startTracing,
  traceInMemory,
  traceparentOf,
  tracer,
  tracingFromEnv,
  type SpansInMemory,
  type TracingOptions,
} from './telemetry.ts';
export { SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';
export type { ReadableSpan } from '@opentelemetry/sdk-trace';
