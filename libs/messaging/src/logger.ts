import { logLevel, type logCreator } from 'kafkajs';

/** The part of a pino logger messaging writes to (createLogger from @pipewright/telemetry fits). */
export interface MessagingLogger {
  error(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
}

/** Routes kafkajs's own logs into ours; its chatty INFO lines become debug. */
export function kafkaLogCreator(logger: MessagingLogger): logCreator {
  return () =>
    ({ level, log }) => {
      const { message, ...fields } = log;
      const line = { kafkajs: true, ...fields };
      if (level === logLevel.ERROR) logger.error(line, message);
      else if (level === logLevel.WARN) logger.warn(line, message);
      else logger.debug(line, message);
    };
}
