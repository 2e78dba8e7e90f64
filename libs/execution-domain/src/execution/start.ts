import type { PipelineDeclaration } from '@pipewright/pipeline-model';
import type { ExecutionEvent } from './events';
import { executionEvent } from './events';
import type { RollbackStage, StartPipelineExecution } from './commands';
import { PipelineVariableMissing, StageNotFound, UnableToRollbackStage, UnknownPipelineVariable } from './errors';
import type { ExecutionState } from './state';
import type { ArtifactRef, NamespaceVariables, PipelineVariable } from './values';

/**
 * Starting is idempotent: the execution id is the stream id, so a replayed execution request
 * for a stream that already started decides nothing.
 */
export function startPipelineExecution(command: StartPipelineExecution, state: ExecutionState): ExecutionEvent[] {
  if (state.status !== 'NotStarted') return [];
  const c = command.data;
  return [
    executionEvent('PipelineExecutionStarted', {
      pipelineExecutionId: c.pipelineExecutionId,
      pipelineName: c.declaration.name,
      pipelineVersion: c.pipelineVersion,
      declaration: c.declaration,
      executionMode: c.declaration.executionMode ?? 'SUPERSEDED',
      executionType: 'STANDARD',
      trigger: c.trigger,
      sourceRevisions: c.sourceRevisions ?? [],
      variables: resolvePipelineVariables(c.declaration, c.variables ?? []),
      seed: c.seed,
      heartbeatTimeoutSeconds: c.heartbeatTimeoutSeconds,
      at: c.now,
    }),
    executionEvent('StageEntryRequested', { stageName: c.declaration.stages[0]!.name, reason: 'Start', at: c.now }),
  ];
}

/** Declared defaults, overridden by the values given at start; every declared variable must end with a value. */
export function resolvePipelineVariables(declaration: PipelineDeclaration, overrides: readonly PipelineVariable[]): PipelineVariable[] {
  const declared = declaration.variables ?? [];
  for (const override of overrides) {
    if (!declared.some((v) => v.name === override.name)) {
      throw new UnknownPipelineVariable(`Pipeline '${declaration.name}' declares no variable '${override.name}'`, { name: override.name });
    }
  }
  return declared.map((v) => {
    const value = [...overrides].reverse().find((o) => o.name === v.name)?.value ?? v.defaultValue;
    if (value === undefined) throw new PipelineVariableMissing(`Pipeline variable '${v.name}' has no default value and none was given`, { name: v.name });
    return { name: v.name, value };
  });
}

/**
 * A rollback is a new execution (CodePipeline's ManualRollback) that runs one stage with the
 * source revisions, pipeline variables, artifacts and upstream output variables of an earlier
 * execution in which that stage succeeded.
 */
export function rollbackStage(command: RollbackStage, state: ExecutionState): ExecutionEvent[] {
  if (state.status !== 'NotStarted') return [];
  const c = command.data;
  const target = c.target;
  const index = c.declaration.stages.findIndex((s) => s.name === c.stageName);
  if (index < 0) throw new StageNotFound(`Stage '${c.stageName}' does not exist in pipeline '${c.declaration.name}'`, { stageName: c.stageName });
  if (index === 0) throw new UnableToRollbackStage(`The first stage '${c.stageName}' cannot be rolled back`, { stageName: c.stageName });
  if (target.pipelineName !== c.declaration.name) {
    throw new UnableToRollbackStage(`Execution ${target.pipelineExecutionId} belongs to pipeline '${target.pipelineName}'`, { target: target.pipelineExecutionId });
  }
  if (target.stages[c.stageName]?.status !== 'Succeeded') {
    throw new UnableToRollbackStage(`Stage '${c.stageName}' did not succeed in execution ${target.pipelineExecutionId}`, { target: target.pipelineExecutionId });
  }
  const earlier = new Set(c.declaration.stages.slice(0, index).map((s) => s.name));
  const artifacts = new Map<string, ArtifactRef>((target.rollback?.artifacts ?? []).map((a) => [a.name, a]));
  const namespaceVariables: NamespaceVariables = { ...(target.rollback?.namespaceVariables ?? {}) };
  for (const stage of Object.values(target.stages).filter((s) => earlier.has(s.stageName))) {
    for (const action of Object.values(stage.actions).filter((a) => a.status === 'Succeeded')) {
      for (const artifact of action.outputArtifacts) artifacts.set(artifact.name, artifact);
      if (action.namespace) namespaceVariables[action.namespace] = action.outputVariables;
    }
  }
  return [
    executionEvent('PipelineExecutionStarted', {
      pipelineExecutionId: c.pipelineExecutionId,
      pipelineName: c.declaration.name,
      pipelineVersion: c.pipelineVersion,
      declaration: c.declaration,
      executionMode: c.declaration.executionMode ?? 'SUPERSEDED',
      executionType: 'ROLLBACK',
      trigger: { triggerType: c.triggerType ?? 'ManualRollback', triggerDetail: target.pipelineExecutionId },
      sourceRevisions: target.sourceRevisions,
      variables: target.variables,
      seed: c.seed,
      heartbeatTimeoutSeconds: c.heartbeatTimeoutSeconds,
      rollback: { targetPipelineExecutionId: target.pipelineExecutionId, stageName: c.stageName, artifacts: [...artifacts.values()], namespaceVariables },
      at: c.now,
    }),
    executionEvent('StageEntryRequested', { stageName: c.stageName, reason: 'Rollback', at: c.now }),
  ];
}
