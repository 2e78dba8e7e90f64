import { stringify } from 'yaml';

export type OutputFormat = 'json' | 'yaml' | 'table';

/** Prints a result the way --output asks: JSON and YAML whole, tables for lists of flat rows. */
export function print(value: unknown, format: OutputFormat, rows?: Record<string, unknown>[]): void {
  if (format === 'json') process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(stringify(value));
  else process.stdout.write(table(rows ?? (Array.isArray(value) ? value : [value as Record<string, unknown>])));
}

export function table(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '(none)\n';
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd() + '\n';
  return line(columns.map((c) => c.toUpperCase())) + rows.map((r) => line(columns.map((c) => cell(r[c])))).join('');
}

/** Protobuf timestamps as ISO strings for people. */
export function time(ts: { seconds?: string | number; nanos?: number } | null | undefined): string | undefined {
  if (!ts || ts.seconds === undefined) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}
