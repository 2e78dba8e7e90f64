// Type-only import: this file must load before Nest does (telemetry starts first in a main).
import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from './logger';

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const NEST_TO_PINO: Record<LogLevel, PinoLevel> = {
  verbose: 'trace',
  debug: 'debug',
  log: 'info',
  warn: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** Most verbose first: setLogLevels enables the most verbose level Nest asks for. */
const VERBOSITY: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

const STACK_FORMAT = /^(.)+\n\s+at .+:\d+:\d+/;

/**
 * Nest's LoggerService over our JSON logger, so Nest's own lines are JSON too.
 * Arguments follow Nest's ConsoleLogger: a trailing string is the context; for error(),
 * a stack-shaped second argument is the stack.
 */
export class JsonNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  setLogLevels(levels: LogLevel[]): void {
    const mostVerbose = VERBOSITY.find((level) => levels.includes(level));
    this.logger.level = mostVerbose ? NEST_TO_PINO[mostVerbose] : 'silent';
  }

  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const { messages, context, stack } = splitArguments(level, [message, ...params]);
    const log = this.logger[NEST_TO_PINO[level]].bind(this.logger);
    for (const item of messages) {
      const fields: Record<string, unknown> = {};
      if (context !== undefined) fields.context = context;
      if (stack !== undefined) fields.stack = stack;
      if (item instanceof Error) {
        log({ ...fields, err: item }, item.message);
      } else if (typeof item === 'object' && item !== null) {
        log({ ...fields, data: item }, '');
      } else {
        log(fields, String(item));
      }
    }
  }
}

function splitArguments(level: LogLevel, args: unknown[]): { messages: unknown[]; context?: string; stack?: string } {
  if (level === 'error' && args.length === 2 && isStack(args[1])) {
    return { messages: [args[0]], stack: args[1] as string };
  }
  let messages = args;
  let context: string | undefined;
  if (messages.length > 1 && typeof messages[messages.length - 1] === 'string') {
    context = messages[messages.length - 1] as string;
    messages = messages.slice(0, -1);
  }
  if (level === 'error' && messages.length > 1) {
    const last = messages[messages.length - 1];
    if (typeof last === 'string' || last === undefined) {
      return { messages: messages.slice(0, -1), context, stack: last };
    }
  }
  return { messages, context };
}

function isStack(value: unknown): boolean {
  return typeof value === 'string' && STACK_FORMAT.test(value);
}
