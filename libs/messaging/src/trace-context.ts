import { context, propagation, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';
import { headerString } from './cloudevents';

const headersGetter: TextMapGetter<IHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => headerString(carrier, key),
};

/** W3C traceparent/tracestate of the active context, as headers (none when no SDK is started). */
export function traceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}

/**
 * The context a consumed message is handled in: the one its headers carry. When the kafkajs
 * instrumentation already runs us inside a consumer span of that same trace, keep that span as
 * the parent so the handler's spans nest under it.
 */
export function consumeContext(headers: IHeaders): Context {
  const extracted = propagation.extract(context.active(), headers, headersGetter);
  const active = trace.getSpan(context.active())?.spanContext();
  const remote = trace.getSpan(extracted)?.spanContext();
  if (active && remote && active.traceId === remote.traceId) return context.active();
  return extracted;
}
