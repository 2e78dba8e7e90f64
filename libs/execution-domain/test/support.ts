import { fold } from '@pipewright/decider';
import type { ActionDeclaration, PipelineDeclaration } from '@pipewright/pipeline-model';
import {
  executionDecider,
  type ArtifactRef,
  type ExecutionCommand,
  type ExecutionEvent,
  type StartedExecution,
} from '../src';

export const T0 = '2025-01-01T00:00:00.000Z';
export const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
export const EXECUTION_ID = 'exec-1';
export const SEED = 'seed-1';

export const source = (name = 'Checkout', extra: Partial<ActionDeclaration> = {}): ActionDeclaration => ({
  name,
  actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
  configuration: { FullRepositoryId: 'acme/app', BranchName: 'main' },
  outputArtifacts: [{ name: 'SourceArtifact' }],
  namespace: 'SourceVariables',
  runOrder: 1,
  ...extra,
});

export const build = (name: string, runOrder = 1, extra: Partial<ActionDeclaration> = {}): ActionDeclaration => ({
  name,
  actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
  configuration: { ProjectName: name },
  inputArtifacts: [{ name: 'SourceArtifact' }],
  runOrder,
  ...extra,
});

export const approval = (name = 'Approve', extra: Partial<ActionDeclaration> = {}): ActionDeclaration => ({
  name,
  actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
  configuration: { CustomData: 'Ship #{codepipeline.PipelineExecutionId}?' },
  runOrder: 1,
  ...extra,
});

export function pipeline(stages: { name: string; actions: ActionDeclaration[] }[], extra: Partial<PipelineDeclaration> = {}): PipelineDeclaration {
  return { name: 'app', executionMode: 'SUPERSEDED', pipelineType: 'V2', stages: [{ name: 'Source', actions: [source()] }, ...stages], ...extra };
}

export const artifact = (name: string, digit = 'a'): ArtifactRef => ({ name, artifactId: `art-${name}`, sha256: digit.repeat(64), sizeBytes: 42 });

export function startCommand(declaration: PipelineDeclaration, extra: Partial<Extract<ExecutionCommand, { type: 'StartPipelineExecution' }>['data']> = {}): ExecutionCommand {
  return {
    type: 'StartPipelineExecution',
    data: { pipelineExecutionId: EXECUTION_ID, declaration, pipelineVersion: 1, trigger: { triggerType: 'StartPipelineExecution' }, seed: SEED, now: T0, ...extra },
  };
}

/** Runs commands through the decider, as the adapter would, and returns the recorded history. */
export function history(commands: readonly ExecutionCommand[], given: readonly ExecutionEvent[] = []): ExecutionEvent[] {
  const events = [...given];
  for (const command of commands) events.push(...([] as ExecutionEvent[]).concat(executionDecider.decide(command, fold(executionDecider, events))));
  return events;
}

export function stateOf(events: readonly ExecutionEvent[]): StartedExecution {
  const state = fold(executionDecider, events);
  if (state.status === 'NotStarted') throw new Error('not started');
  return state;
}

/** The job of the latest attempt of an action. */
export function jobOf(events: readonly ExecutionEvent[], stageName: string, actionName: string): { jobId: string; nonce: string; attempt: number } {
  const action = stateOf(events).stages[stageName]?.actions[actionName];
  if (!action?.jobId || !action.nonce) throw new Error(`no job for ${stageName}/${actionName}`);
  return { jobId: action.jobId, nonce: action.nonce, attempt: action.attempt };
}

export const enter = (stageName: string, now = T0): ExecutionCommand => ({ type: 'EnterStage', data: { stageName, now } });

export function complete(events: readonly ExecutionEvent[], stageName: string, actionName: string, now: string, extra: Partial<Extract<ExecutionCommand, { type: 'CompleteJob' }>['data']> = {}): ExecutionCommand {
  const { jobId, nonce } = jobOf(events, stageName, actionName);
  return { type: 'CompleteJob', data: { jobId, nonce, outputArtifacts: [], now, ...extra } };
}

export function fail(events: readonly ExecutionEvent[], stageName: string, actionName: string, now: string, message = 'exit 1'): ExecutionCommand {
  const { jobId, nonce } = jobOf(events, stageName, actionName);
  return { type: 'FailJob', data: { jobId, nonce, failureDetails: { type: 'JobFailed', message }, now } };
}

/** A started execution whose Source stage succeeded and which now waits to enter `next`. */
export function throughSource(declaration: PipelineDeclaration, sourceOutputs: ArtifactRef[] = [artifact('SourceArtifact')], variables: Record<string, string> = { CommitId: 'abc123' }): ExecutionEvent[] {
  const started = history([startCommand(declaration), enter('Source', at(1))]);
  return history([complete(started, 'Source', 'Checkout', at(2), { outputArtifacts: sourceOutputs, outputVariables: variables })], started);
}

export const types = (events: readonly ExecutionEvent[]) => events.map((e) => e.type);
