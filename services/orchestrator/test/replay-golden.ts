import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executionV1 } from '@pipewright/contracts';
import { fold } from '@pipewright/decider';
import { RecordedEvent } from '@pipewright/event-store';
import { executionDecider, pipelineExecutionView } from '@pipewright/execution-domain';
import { executionEvents } from '../src/executions/streams';
import { pipelineExecutionMessage } from '../src/executions/views';

/**
 * A golden file: an execution's stream exactly as the orchestrator stored it (rows of its events
 * table, metadata included), and what it folded to when it was recorded — the domain's view and
 * GetPipelineExecution's message, which the recording run checked against the live service.
 */
export interface GoldenExecution {
  scenario: string;
  recordedAt: string;
  events: RecordedEvent[];
  expected: { view: unknown; pipelineExecution: unknown };
}

export const GOLDEN_DIR = join(__dirname, 'golden');

export function goldenFiles(): string[] {
  return readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json')).sort();
}

export function readGolden(file: string): GoldenExecution {
  const golden = JSON.parse(readFileSync(join(GOLDEN_DIR, file), 'utf8')) as GoldenExecution;
  golden.events = golden.events.map((e) => ({ ...e, recordedAt: new Date(e.recordedAt) }));
  return golden;
}

export function writeGolden(golden: GoldenExecution): void {
  writeFileSync(join(GOLDEN_DIR, `${golden.scenario}.json`), `${JSON.stringify(golden, null, 2)}\n`);
}

/** Replays stored rows the way the service loads a stream (streams.ts), then views them as it serves them. */
export async function replay(events: readonly RecordedEvent[]): Promise<GoldenExecution['expected']> {
  const state = fold(executionDecider, await executionEvents({ readStream: async () => [...events] }, ''));
  const view = pipelineExecutionView(state);
  if (!view) throw new Error('the history does not start an execution');
  return {
    view: JSON.parse(JSON.stringify(view)),
    pipelineExecution: executionV1.PipelineExecution.toJSON(pipelineExecutionMessage(view.pipelineExecution)),
  };
}
