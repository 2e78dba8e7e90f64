export { startTelemetry, type TelemetryOptions, type ShutdownTelemetry } from './sdk';
export { createLogger, REDACTED_KEYS, REDACTION_CENSOR, type Logger, type LoggerOptions } from './logger';
export { JsonNestLogger } from './nest-logger';
