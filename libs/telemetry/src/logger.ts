import pino from 'pino';
import { context, isSpanContextValid, trace } from '@opentelemetry/api';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** pino level name; defaults to LOG_LEVEL or 'info'. */
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/** Keys whose values never reach a log line, at any of the first three levels of nesting. */
export const REDACTED_KEYS: readonly string[] = [
  'password', 'passwd', 'secret', 'token', 'authorization', 'Authorization', 'cookie', 'Cookie',
  'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token',
  'clientSecret', 'client_secret', 'apiKey', 'api_key', 'privateKey', 'private_key',
  'secretAccessKey', 'webhookSecret', 'signingSecret',
];

export const REDACTION_CENSOR = '[REDACTED]';

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** trace_id/span_id of the span active where the line is written, so logs join their trace. */
function activeTraceFields(): Record<string, string> {
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Structured JSON logs, one object per line:
 * {"level":"info","time":"<ISO>","service":"<name>","trace_id":…,"span_id":…,…fields,"msg":"…"}.
 */
export function createLogger(serviceName: string, options: LoggerOptions = {}): Logger {
  const config: pino.LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: serviceName },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: activeTraceFields,
    redact: { paths: redactPaths, censor: REDACTION_CENSOR },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
