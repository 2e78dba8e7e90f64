import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/** Span attributes Pipewright adds, beside OpenTelemetry's semantic conventions. */
export const PipewrightAttributes = {
  executionId: 'pipewright.execution.id',
  pipeline: 'pipewright.pipeline',
  stage: 'pipewright.stage',
  action: 'pipewright.action',
  jobId: 'pipewright.job.id',
  artifactId: 'pipewright.artifact.id',
  artifactName: 'pipewright.artifact.name',
  deliveryId: 'pipewright.delivery.id',
  command: 'pipewright.command',
} as const;

/** W3C trace context as stored beside work that continues later (event metadata, outbox rows, queued rows). */
export type TraceHeaders = Record<string, string>;

export const tracer = () => trace.getTracer('pipewright');

/** The W3C traceparent/tracestate of a context (the active one by default); empty when nothing is traced. */
export function traceHeadersOf(ctx: Context = context.active()): TraceHeaders {
  const headers: TraceHeaders = {};
  propagation.inject(ctx, headers);
  return headers;
}

/** The context stored headers describe, on an empty context; ROOT_CONTEXT when they carry none. */
export function contextFromTraceHeaders(headers: Readonly<Record<string, unknown>> | null | undefined): Context {
  if (!headers) return ROOT_CONTEXT;
  const carrier: TraceHeaders = {};
  for (const key of ['traceparent', 'tracestate']) {
    const value = headers[key];
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString('utf8');
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/** Only the trace context of a header map (e.g. an outbox row's headers or an event's metadata). */
export function pickTraceHeaders(headers: Readonly<Record<string, unknown>> | null | undefined): TraceHeaders | undefined {
  const picked = traceHeadersOf(contextFromTraceHeaders(headers));
  return picked.traceparent ? picked : undefined;
}

/**
 * Where work on something that has its own trace (an execution) continues: as a child of the active
 * span when that span is already in the stored trace (a Kafka message of that trace); otherwise as a
 * child of the stored context, linked to the active span (a timer, or a call that started its own
 * trace, such as an approval from the CLI). Without a stored trace, the active context.
 */
export function continuing(stored: Readonly<Record<string, unknown>> | null | undefined): { parent: Context; links: Link[] } {
  const active = trace.getSpanContext(context.active());
  const storedContext = contextFromTraceHeaders(stored);
  const remote = trace.getSpanContext(storedContext);
  if (!remote || (active && active.traceId === remote.traceId)) return { parent: context.active(), links: [] };
  const links: Link[] = active && trace.isSpanContextValid(active) ? [{ context: active }] : [];
  return { parent: storedContext, links };
}

export interface InSpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  links?: Link[];
  /** The parent; the active context by default. */
  parent?: Context;
  /** Starts a new trace whatever is active (a trigger nothing caused, e.g. a poll that found a change). */
  root?: boolean;
}

/** Runs `work` in a new active span that records a thrown error and always ends. */
export async function inSpan<T>(name: string, options: InSpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes, links: options.links, root: options.root }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error as an exception event. */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `work` with instrumentation silenced: for a client call whose spans Pipewright makes itself
 * (the outbox relay's producer spans, whose context must not be overwritten by kafkajs's own).
 */
export function untraced<T>(work: () => T): T {
  return context.with(suppressTracing(context.active()), work);
}
