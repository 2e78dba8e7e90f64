import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface BenchRow {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  /** true/false when a target applies. */
  met?: boolean;
  note?: string;
}

export function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

export function printTable(title: string, rows: readonly BenchRow[]): void {
  const cells = rows.map((r) => [r.metric, `${r.value} ${r.unit}`, r.target ?? '', r.met === undefined ? '' : r.met ? 'yes' : 'NO', r.note ?? '']);
  const header = ['metric', 'value', 'target', 'met', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((s, i) => s.padEnd(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);
}

/** Writes bench/results/<name>.json. */
export function writeResults(name: string, results: object): string {
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ ranAt: new Date().toISOString(), machine: machine(), ...results }, null, 2)}\n`);
  return file;
}
