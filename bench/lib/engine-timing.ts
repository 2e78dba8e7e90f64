/**
 * Preloaded (NODE_OPTIONS) into the orchestrator process by bench/orchestrator.bench.ts only, and
 * only when BENCH_ENGINE_TIMING=1: it wraps the execution engine to print one JSON line per request
 * (`{"benchEngine":…}`) with where its transaction's time went (a run of job events is one request). The orchestrator's code is unchanged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ExecutionEngine, Unit } from '../../services/orchestrator/src/executions/execution-engine';

export interface EngineTiming {
  /** Epoch ms (sub-ms) when the request entered the engine and when its transaction had committed. */
  start: number;
  end: number;
  /** Decide rounds: more than 1 means a version conflict made it decide again. */
  attempts: number;
  /** Reading and folding streams, appending streams + outbox + timers + read model (summed over attempts). */
  loadMs: number;
  appendMs: number;
  executions: string[];
  /** Event types appended to execution streams. */
  types: string[];
}

export const ENGINE_TIMING_PREFIX = '{"benchEngine":';

const now = () => performance.timeOrigin + performance.now();

if (process.env.BENCH_ENGINE_TIMING === '1') {
  // Requests interleave on the event loop: each one's timing follows its async context.
  const request = new AsyncLocalStorage<EngineTiming>();
  const context = new WeakMap<object, EngineTiming>();
  // run (one work) and runAll (a run of job events) are each one transaction per try.
  for (const method of ['run', 'runAll'] as const) {
    const original = ExecutionEngine.prototype[method] as (this: ExecutionEngine, ...args: unknown[]) => Promise<unknown>;
    (ExecutionEngine.prototype as any)[method] = async function (this: ExecutionEngine, ...args: unknown[]) {
      const timing: EngineTiming = { start: now(), end: 0, attempts: 0, loadMs: 0, appendMs: 0, executions: [], types: [] };
      try {
        return await request.run(timing, () => original.apply(this, args));
      } finally {
        timing.end = now();
        process.stdout.write(`${ENGINE_TIMING_PREFIX}${JSON.stringify(timing)}}\n`);
      }
    };
  }
  const unitRun = Unit.prototype.run;
  Unit.prototype.run = async function (this: Unit, ...args: Parameters<typeof unitRun>) {
    const timing = request.getStore();
    // One Unit per transaction try; a batch runs several works in one Unit.
    if (timing && !context.has(this)) {
      context.set(this, timing);
      timing.attempts++;
    }
    return unitRun.apply(this, args);
  };
  for (const method of ['execution', 'lanesOf'] as const) {
    const original = Unit.prototype[method] as (this: Unit, key: string) => Promise<unknown>;
    (Unit.prototype as any)[method] = async function (this: Unit, key: string) {
      const started = now();
      try {
        return await original.call(this, key);
      } finally {
        const timing = context.get(this);
        if (timing) timing.loadMs += now() - started;
      }
    };
  }
  const commit = (ExecutionEngine.prototype as any).commit as (unit: Unit) => Promise<void>;
  (ExecutionEngine.prototype as any).commit = async function (this: ExecutionEngine, unit: Unit) {
    const started = now();
    try {
      return await commit.call(this, unit);
    } finally {
      const timing = context.get(unit);
      if (timing) {
        timing.appendMs += now() - started;
        timing.executions = [...unit.executions.keys()];
        timing.types = [...unit.executions.values()].flatMap((l) => l.pending.map((e) => e.type));
      }
    }
  };
}
