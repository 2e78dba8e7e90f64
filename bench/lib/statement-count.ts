/**
 * Preloaded (NODE_OPTIONS) into the orchestrator by bench/orchestrator.bench.ts when
 * BENCH_STATEMENT_COUNT=1: counts the SQL statements the process sends, by their text (whitespace
 * collapsed, the first 90 characters), and prints the counts as one JSON line on SIGUSR2, so the
 * benchmark can diff two readings around its throughput window. The orchestrator's code is unchanged.
 */
import { Client } from 'pg';

export const STATEMENT_COUNT_PREFIX = '{"benchStatements":';

if (process.env.BENCH_STATEMENT_COUNT === '1') {
  const counts = new Map<string, number>();
  const original = Client.prototype.query as (...args: unknown[]) => unknown;
  (Client.prototype as any).query = function (this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (text) {
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 90);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
  process.on('SIGUSR2', () => process.stdout.write(`${STATEMENT_COUNT_PREFIX}${JSON.stringify(Object.fromEntries(counts))}}\n`));
}
