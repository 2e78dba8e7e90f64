import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { startTelemetry } from './sdk';
import { contextFromTraceHeaders, continuing, inSpan, pickTraceHeaders, traceHeadersOf, tracer } from './tracing';

describe('tracing helpers', () => {
  let shutdown: () => Promise<void>;
  beforeAll(() => {
    shutdown = startTelemetry({ serviceName: 'tracing-spec', env: {} });
  });
  afterAll(() => shutdown());

  /** A span's context as it would be stored (event metadata, an outbox row). */
  const stored = () => {
    const span = tracer().startSpan('stored', { root: true });
    span.end();
    return { headers: traceHeadersOf(trace.setSpan(ROOT_CONTEXT, span)), span: span.spanContext() };
  };

  it('reads stored trace context from strings or Kafka buffers, and nothing from nothing', () => {
    // given a stored context
    const { headers, span } = stored();
    // then it reads back from strings and from buffers
    expect(trace.getSpanContext(contextFromTraceHeaders(headers))).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
    expect(trace.getSpanContext(contextFromTraceHeaders({ traceparent: Buffer.from(headers.traceparent) }))?.spanId).toBe(span.spanId);
    expect(pickTraceHeaders({ traceparent: headers.traceparent, other: 'x' })).toEqual({ traceparent: headers.traceparent });
    // and missing or malformed context is none
    expect(contextFromTraceHeaders(undefined)).toBe(ROOT_CONTEXT);
    expect(pickTraceHeaders({ traceparent: 'not-a-traceparent' })).toBeUndefined();
  });

  it('continues the active span when it is in the stored trace', () => {
    const { headers } = stored();
    const active = tracer().startSpan('consumer', {}, contextFromTraceHeaders(headers));
    context.with(trace.setSpan(ROOT_CONTEXT, active), () => {
      const { parent, links } = continuing(headers);
      expect(trace.getSpanContext(parent)?.spanId).toBe(active.spanContext().spanId);
      expect(links).toEqual([]);
    });
    active.end();
  });

  it('joins the stored trace with a link when the active span is in another trace', () => {
    const { headers, span } = stored();
    const caller = tracer().startSpan('call from elsewhere', { root: true });
    context.with(trace.setSpan(ROOT_CONTEXT, caller), () => {
      const { parent, links } = continuing(headers);
      expect(trace.getSpanContext(parent)).toMatchObject({ traceId: span.traceId, spanId: span.spanId });
      expect(links.map((l) => l.context.spanId)).toEqual([caller.spanContext().spanId]);
    });
    caller.end();
  });

  it('joins the stored trace without a link when nothing is active, and keeps the active context when nothing is stored', () => {
    const { headers, span } = stored();
    expect(trace.getSpanContext(continuing(headers).parent)?.spanId).toBe(span.spanId);
    expect(continuing(headers).links).toEqual([]);
    expect(continuing(undefined).parent).toBe(context.active());
  });

  it('runs work in an active span and rethrows its error', async () => {
    let inside: string | undefined;
    await inSpan('work', {}, async (span) => {
      inside = trace.getSpanContext(context.active())?.spanId;
      expect(inside).toBe(span.spanContext().spanId);
    });
    await expect(inSpan('failing', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
