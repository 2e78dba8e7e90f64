import { parseArgs } from 'node:util';
import { UsageError } from '../config';

/** Parsed command line: positionals after the command words, and typed access to options. */
export class Args {
  constructor(
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | string[] | undefined>,
  ) {}

  static parse(argv: string[]): Args {
    try {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          output: { type: 'string', short: 'o' },
          endpoint: { type: 'string', multiple: true },
          config: { type: 'string' },
          tag: { type: 'string', multiple: true },
          variable: { type: 'string', multiple: true },
          'source-revision': { type: 'string', multiple: true },
          'client-request-token': { type: 'string' },
          'expected-version': { type: 'string' },
          version: { type: 'string' },
          execution: { type: 'string' },
          pipeline: { type: 'string' },
          summary: { type: 'string' },
          token: { type: 'string' },
          'auth-token': { type: 'string' },
          failed: { type: 'boolean' },
          all: { type: 'boolean' },
          abandon: { type: 'boolean' },
          reason: { type: 'string' },
          follow: { type: 'boolean', short: 'f' },
          tail: { type: 'string' },
          'deadline-ms': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
      return new Args(positionals, values);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }

  value(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v : [];
  }

  shift(count: number): Args {
    return new Args(this.positionals.slice(count), this.values);
  }
}
