import { fold } from '@pipewright/decider';
import { EventStoreTransaction } from '@pipewright/event-store';
import { executionDecider, ExecutionEvent, ExecutionState, LanesEvent, LanesState, pipelineLanesDecider } from '@pipewright/execution-domain';

/** One stream per execution, one per pipeline for its stage locks and transitions. */
export const executionStream = (pipelineExecutionId: string) => `execution-${pipelineExecutionId}`;
export const lanesStream = (pipelineName: string) => `pipeline-lanes-${pipelineName}`;

/** A stream as loaded: its folded state, the version it was read at, and what this unit adds. */
export interface LoadedStream<S, E> {
  state: S;
  version: number;
  pending: E[];
}

type Reader = Pick<EventStoreTransaction, 'readStream'>;

async function read<E>(reader: Reader, streamId: string): Promise<{ events: E[]; version: number }> {
  const recorded = await reader.readStream(streamId);
  return { events: recorded.map((r) => ({ type: r.type, data: r.data }) as E), version: recorded.at(-1)?.streamVersion ?? 0 };
}

export async function loadExecution(reader: Reader, pipelineExecutionId: string): Promise<LoadedStream<ExecutionState, ExecutionEvent>> {
  const { events, version } = await read<ExecutionEvent>(reader, executionStream(pipelineExecutionId));
  return { state: fold(executionDecider, events), version, pending: [] };
}

export async function loadLanes(reader: Reader, pipelineName: string): Promise<LoadedStream<LanesState, LanesEvent>> {
  const { events, version } = await read<LanesEvent>(reader, lanesStream(pipelineName));
  return { state: fold(pipelineLanesDecider, events), version, pending: [] };
}

/** The events of an execution as stored, for tests and rebuilding read models. */
export async function executionEvents(reader: Reader, pipelineExecutionId: string): Promise<ExecutionEvent[]> {
  return (await read<ExecutionEvent>(reader, executionStream(pipelineExecutionId))).events;
}
