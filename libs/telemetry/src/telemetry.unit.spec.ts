import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import {
  contextOf,
  linksTo,
  spanContextOf,
  traceInMemory,
  traceparentOf,
  tracer,
  tracingFromEnv,
  type SpansInMemory,
} from './telemetry.ts';

const PARTNER = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context as Concord carries it', () => {
  it('reads a valid traceparent and refuses malformed ones (a partner header is a claim)', () => {
    expect(spanContextOf(PARTNER)).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
    });
    for (const bad of [
      undefined,
      42,
      '',
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // all-zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // all-zero span id
      `${PARTNER}${'x'.repeat(200)}`,
    ])
      expect(spanContextOf(bad), String(bad)).toBeUndefined();
    expect(linksTo([PARTNER, 'garbage', undefined])).toHaveLength(1);
  });

  it('costs nothing and records nothing while tracing is off', () => {
    const stop = tracingFromEnv('concord-test', {});
    const span = tracer.startSpan('off', {}, contextOf(PARTNER));
    expect(span.isRecording()).toBe(false);
    // A non-recording child keeps the partner's context, so what it stores still names that trace.
    expect(traceparentOf(span)).toBe(PARTNER);
    span.end();
    return stop();
  });
});

describe('tracing on, spans in memory', () => {
  let memory: SpansInMemory | undefined;
  afterEach(async () => {
    await memory?.stop();
    memory = undefined;
  });

  it('continues the trace a traceparent names, and hands on its own', () => {
    memory = traceInMemory();
    const span = tracer.startSpan('child', {}, contextOf(PARTNER));
    const own = traceparentOf(span)!;
    span.end();
    const [ended] = memory.spans();
    expect(ended!.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(ended!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(own).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(spanContextOf(own)?.spanId).toBe(ended!.spanContext().spanId);
  });

  it('turns off again when stopped', async () => {
    memory = traceInMemory();
    await memory.stop();
    memory = undefined;
    expect(trace.getTracer('x').startSpan('after').isRecording()).toBe(false);
  });
});
