import {
  context as contexts,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanContext,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

/**
 * Concord's tracer. Until a process turns tracing on (`startTracing`), the OpenTelemetry API
 * hands out non-recording spans: instrumented code costs next to nothing when traces are off.
 */
export const tracer = trace.getTracer('concord');

const propagator = new W3CTraceContextPropagator();
const carrierGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

/**
 * The context a W3C `traceparent` (from a Kafka header, an HTTP header, an event's metadata)
 * names as parent; the root context for none or a malformed one (a partner's header is a claim,
 * never trusted to be well formed).
 */
export function contextOf(traceparent: unknown): Context {
  if (typeof traceparent !== 'string' || traceparent.length > 128) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, { traceparent }, carrierGetter);
}

/** The span context a `traceparent` names, if it is a valid one. */
export function spanContextOf(traceparent: unknown): SpanContext | undefined {
  return trace.getSpanContext(contextOf(traceparent));
}

/** A span's W3C `traceparent`, to carry in what it produces; undefined when traces are off. */
export function traceparentOf(span: Span): string | undefined {
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
}

/** Links to the valid span contexts among `traceparents` (at most `max`: a chunk can be large). */
export function linksTo(traceparents: Iterable<unknown>, max = 128): Link[] {
  const links: Link[] = [];
  for (const traceparent of traceparents) {
    const spanContext = spanContextOf(traceparent);
    if (spanContext) links.push({ context: spanContext });
    if (links.length >= max) break;
  }
  return links;
}

/** The active context (for spans started inside another without passing it along). */
export const activeContext = (): Context => contexts.active();

export interface TracingOptions {
  serviceName: string;
  /** Where spans go: an OTLP/HTTP endpoint (`…/v1/traces`), or an exporter of the caller's. */
  exporter: SpanExporter | { otlpUrl: string };
  /** @default a batch processor (a test passes a simple one to see spans at once) */
  processor?: (exporter: SpanExporter) => SpanProcessor;
}

/**
 * Turns tracing on for this process: spans of every Concord component go to the exporter. Off by
 * default; the processes call it when OTEL_EXPORTER_OTLP_ENDPOINT is set (`tracingFromEnv`).
 * Resolves to a function that flushes and stops it.
 */
export function startTracing(options: TracingOptions): () => Promise<void> {
  const exporter =
    'otlpUrl' in options.exporter
      ? new OTLPTraceExporter({ url: options.exporter.otlpUrl })
      : options.exporter;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [
      (options.processor ?? ((e) => new BatchSpanProcessor({ exporter: e })))(exporter),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  return async () => {
    await provider.shutdown();
    trace.disable();
  };
}

/**
 * Tracing as the environment asks: OTEL_EXPORTER_OTLP_ENDPOINT (the collector's base URL, as the
 * OpenTelemetry specification names it; spans go to `<endpoint>/v1/traces`) turns it on, with
 * OTEL_SERVICE_NAME naming the process. Unset: off, and the stop function does nothing.
 */
export function tracingFromEnv(
  serviceName: string,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<void> {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return async () => undefined;
  return startTracing({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    exporter: { otlpUrl: `${endpoint.replace(/\/$/, '')}/v1/traces` },
  });
}

/** Spans kept in memory, as they end: what a test reads the traces from. */
export interface SpansInMemory {
  /** Every span ended so far. */
  spans(): ReadableSpan[];
  stop(): Promise<void>;
}

/** Turns tracing on for this process with every span kept in memory (tests). */
export function traceInMemory(): SpansInMemory {
  const exporter = new InMemorySpanExporter();
  const stop = startTracing({
    serviceName: 'concord-test',
    exporter,
    processor: (e) => new SimpleSpanProcessor({ exporter: e }),
  });
  return { spans: () => exporter.getFinishedSpans(), stop };
}
