export { startTelemetry, type TelemetryOptions, type ShutdownTelemetry } from './sdk';
export { createLogger, REDACTED_KEYS, REDACTION_CENSOR, type Logger, type LoggerOptions } from './logger';
export { JsonNestLogger } from './nest-logger';
export {
  METRICS,
  counter,
  histogram,
  observeGauge,
  metricSeriesNames,
  serviceMetricsEnv,
  prometheusSeriesNames,
  type MetricDefinition,
  type MetricKey,
  type MetricKind,
} from './metrics';
export {
  continuing,
  contextFromTraceHeaders,
  failSpan,
  inSpan,
  pickTraceHeaders,
  PipewrightAttributes,
  traceHeadersOf,
  tracer,
  untraced,
  type InSpanOptions,
  type TraceHeaders,
} from './tracing';
