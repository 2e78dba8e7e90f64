import { executionV1, timestampFromDate } from '@pipewright/contracts';
import { ArtifactRef, ExecutionEvent } from '@pipewright/execution-domain';

/** ListActionExecutions: every attempt of every action, read from the execution's log (the folded state keeps only the latest). */
export function actionExecutionDetails(events: readonly ExecutionEvent[]): executionV1.ActionExecutionDetail[] {
  const ts = (iso: string) => timestampFromDate(new Date(iso));
  const artifacts = (refs: readonly ArtifactRef[]) => refs.map((a) => ({ name: a.name, location: { artifactId: a.artifactId, sha256: a.sha256, sizeBytes: String(a.sizeBytes) } }));
  const details = new Map<string, executionV1.ActionExecutionDetail>();
  const key = (d: { stageName: string; actionName: string; attempt: number }) => `${d.stageName}\u001f${d.actionName}\u001f${d.attempt}`;
  let pipelineExecutionId = '';
  let pipelineVersion = 0;
  let declared: Record<string, Record<string, string>> = {};
  const update = (d: { stageName: string; actionName: string; attempt: number; at: string }, change: Partial<executionV1.ActionExecutionDetail>) => {
    const detail = details.get(key(d));
    if (detail) details.set(key(d), { ...detail, ...change, lastUpdateTime: ts(d.at) });
  };
  for (const event of events) {
    switch (event.type) {
      case 'PipelineExecutionStarted':
        pipelineExecutionId = event.data.pipelineExecutionId;
        pipelineVersion = event.data.pipelineVersion;
        declared = Object.fromEntries(event.data.declaration.stages.flatMap((s) => s.actions.map((a) => [`${s.name}\u001f${a.name}`, a.configuration ?? {}])));
        break;
      case 'ActionExecutionStarted':
      case 'ApprovalRequested': {
        const d = event.data;
        details.set(
          key(d),
          executionV1.ActionExecutionDetail.fromPartial({
            pipelineExecutionId,
            actionExecutionId: d.actionExecutionId,
            pipelineVersion,
            stageName: d.stageName,
            actionName: d.actionName,
            attempt: d.attempt,
            startTime: ts(d.at),
            lastUpdateTime: ts(d.at),
            status: 'InProgress',
            input: {
              actionTypeId: d.actionTypeId,
              configuration: declared[`${d.stageName}\u001f${d.actionName}`] ?? {},
              resolvedConfiguration: d.configuration,
              inputArtifacts: event.type === 'ActionExecutionStarted' ? artifacts(event.data.inputArtifacts) : [],
              namespace: event.type === 'ActionExecutionStarted' ? event.data.namespace : undefined,
            },
          }),
        );
        break;
      }
      case 'ActionExecutionSucceeded': {
        const d = event.data;
        update(d, {
          status: 'Succeeded',
          updatedBy: d.updatedBy ?? '',
          output: executionV1.ActionExecutionOutput.fromPartial({
            outputArtifacts: artifacts(d.outputArtifacts),
            outputVariables: d.outputVariables,
            executionResult: { externalExecutionId: d.externalExecutionId, externalExecutionSummary: d.summary, externalExecutionUrl: d.externalExecutionUrl },
          }),
        });
        break;
      }
      case 'ActionExecutionFailed': {
        const d = event.data;
        update(d, {
          status: 'Failed',
          updatedBy: d.updatedBy ?? '',
          output: executionV1.ActionExecutionOutput.fromPartial({
            executionResult: { externalExecutionId: d.externalExecutionId, externalExecutionSummary: d.summary, errorDetails: d.errorDetails },
          }),
        });
        break;
      }
      case 'ActionExecutionAbandoned':
        update(event.data, { status: 'Abandoned' });
        break;
      default:
        break;
    }
  }
  return [...details.values()].reverse();
}
