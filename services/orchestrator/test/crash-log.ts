import { Client } from 'pg';
import { executionV1 } from '@pipewright/contracts';
import { fold } from '@pipewright/decider';
import { EventStore } from '@pipewright/event-store';
import { actionExecutionIdFor, executionDecider, pipelineExecutionView } from '@pipewright/execution-domain';
import { executionEvents } from '../src/executions/streams';
import { pipelineExecutionMessage } from '../src/executions/views';
import { Orchestration } from './crash-services';

/** Reads the orchestrator's log table directly, as an auditor would: no service code in between. */
export class LogAudit {
  constructor(
    private readonly client: Client,
    private readonly schema: string,
  ) {}

  /** Every stream's versions in order. */
  async streamVersions(): Promise<Map<string, number[]>> {
    const { rows } = await this.client.query<{ stream_id: string; versions: string[] }>(
      `SELECT stream_id, array_agg(stream_version ORDER BY stream_version) AS versions FROM "${this.schema}".events GROUP BY stream_id`,
    );
    return new Map(rows.map((r) => [r.stream_id, r.versions.map(Number)]));
  }

  /** How many events of each type each of these streams holds. */
  async typeCounts(streams: readonly string[], types: readonly string[]): Promise<{ streamId: string; type: string; count: number }[]> {
    const { rows } = await this.client.query<{ stream_id: string; type: string; count: string }>(
      `SELECT stream_id, type, count(*) AS count FROM "${this.schema}".events WHERE stream_id = ANY($1) AND type = ANY($2) GROUP BY stream_id, type`,
      [streams, types],
    );
    return rows.map((r) => ({ streamId: r.stream_id, type: r.type, count: Number(r.count) }));
  }

  /** ActionExecutionSucceeded per action attempt (= per job id) of these streams. */
  async successesPerAttempt(streams: readonly string[]): Promise<{ streamId: string; stageName: string; actionName: string; attempt: number; count: number }[]> {
    const { rows } = await this.client.query<{ stream_id: string; stage: string; action: string; attempt: number; count: string }>(
      `SELECT stream_id, data->>'stageName' AS stage, data->>'actionName' AS action, (data->>'attempt')::int AS attempt, count(*) AS count
         FROM "${this.schema}".events WHERE stream_id = ANY($1) AND type = 'ActionExecutionSucceeded' GROUP BY 1, 2, 3, 4`,
      [streams],
    );
    return rows.map((r) => ({ streamId: r.stream_id, stageName: r.stage, actionName: r.action, attempt: r.attempt, count: Number(r.count) }));
  }

  async executionsInProgress(pipelineNames: readonly string[]): Promise<number> {
    const { rows } = await this.client.query<{ count: string }>(
      `SELECT count(*) AS count FROM "${this.schema}".executions WHERE status = 'InProgress' AND pipeline_name = ANY($1)`,
      [pipelineNames],
    );
    return Number(rows[0].count);
  }
}

/** GetPipelineExecution as served, and the fold of the execution's stream, both as proto3 JSON. */
export async function servedAndFolded(orchestration: Orchestration, store: EventStore, pipelineName: string, pipelineExecutionId: string) {
  const served = await orchestration.getExecution(pipelineName, pipelineExecutionId);
  const view = pipelineExecutionView(fold(executionDecider, await executionEvents(store, pipelineExecutionId)));
  const json = (m: executionV1.PipelineExecution) => executionV1.PipelineExecution.toJSON(m);
  return { served: json(executionV1.PipelineExecution.fromPartial(served)), folded: view ? json(pipelineExecutionMessage(view.pipelineExecution)) : undefined };
}

const TERMINAL = ['PipelineExecutionSucceeded', 'PipelineExecutionFailed', 'PipelineExecutionStopped', 'PipelineExecutionSuperseded', 'PipelineExecutionCancelled'];

/**
 * What recovery and concurrency must leave, for executions of Source + NoOp pipelines that all
 * succeeded: one terminal event each (the success), every stream numbered 1..n without a gap, each
 * job's success recorded once and each job the worker ran among them, and GetPipelineExecution equal
 * to the fold of the stream.
 */
export async function expectOneHistoryEach(
  audit: LogAudit,
  orchestration: Orchestration,
  store: EventStore,
  executions: readonly { pipelineName: string; pipelineExecutionId: string }[],
  jobsPerExecution: number,
  jobsRun: readonly string[],
): Promise<void> {
  const streams = executions.map((e) => `execution-${e.pipelineExecutionId}`);
  const terminal = await audit.typeCounts(streams, TERMINAL);
  expect(terminal.map((t) => [t.streamId, t.type, t.count]).sort()).toEqual(streams.map((s) => [s, 'PipelineExecutionSucceeded', 1]).sort());
  const versions = await audit.streamVersions();
  for (const stream of streams) expect(versions.has(stream)).toBe(true);
  for (const [stream, v] of versions) expect([stream, v]).toEqual([stream, v.map((_, i) => i + 1)]);
  const successes = await audit.successesPerAttempt(streams);
  expect(successes.filter((s) => s.count !== 1)).toEqual([]);
  expect(successes).toHaveLength(executions.length * jobsPerExecution);
  const succeededJobs = successes.map((s) => actionExecutionIdFor(s.streamId.slice('execution-'.length), s.stageName, s.actionName, s.attempt)).sort();
  expect(succeededJobs).toEqual([...jobsRun].sort());
  for (const { pipelineName, pipelineExecutionId } of executions) {
    const { served, folded } = await servedAndFolded(orchestration, store, pipelineName, pipelineExecutionId);
    expect(served).toEqual(folded);
  }
}
