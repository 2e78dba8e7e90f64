/** Small measuring helpers shared by the benchmarks. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function latencySummary(samplesMs: readonly number[]): { samples: number; p50Ms: number; p99Ms: number; maxMs: number } {
  return {
    samples: samplesMs.length,
    p50Ms: round(percentile(samplesMs, 50)),
    p99Ms: round(percentile(samplesMs, 99)),
    maxMs: round(Math.max(...samplesMs)),
  };
}

/** Runs `step` repeatedly for about `durationMs` (after `warmup` untimed runs); returns steps per second. */
export async function rate(durationMs: number, step: () => Promise<void>, warmup = 20): Promise<{ operations: number; seconds: number; perSecond: number }> {
  for (let i = 0; i < warmup; i++) await step();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  let operations = 0;
  let now = start;
  while (now < deadline) {
    await step();
    operations++;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  return { operations, seconds: round(seconds), perSecond: Math.round(operations / seconds) };
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
