import { executionV1, jobV1, timestampFromDate } from '@pipewright/contracts';
import { JobRequest, StartedExecution, StateChange } from '@pipewright/execution-domain';
import { NewOutboxMessage } from '@pipewright/event-store';
import { CONTENT_TYPE_PROTOBUF, Topics } from '@pipewright/messaging';
import { outboxMessage } from '@pipewright/service-kit';
import { randomUUID } from 'node:crypto';

const SOURCE = '/pipewright/orchestrator';

function message(topic: string, pipelineName: string, type: string, data: Uint8Array, time: string): NewOutboxMessage {
  return outboxMessage(topic, pipelineName, { id: randomUUID(), type, source: SOURCE, time: new Date(time), subject: pipelineName, datacontenttype: CONTENT_TYPE_PROTOBUF, data });
}

const ts = (iso: string | undefined) => (iso ? timestampFromDate(new Date(iso)) : undefined);
const minutesUntil = (from: string, to: string) => Math.max(1, Math.ceil((Date.parse(to) - Date.parse(from)) / 60_000));

/** JobRequested on the job-requests topic: CodePipeline's JobData plus attempt, timeout and the job's token. */
export function jobRequested(job: JobRequest, now: string, jobToken = ''): NewOutboxMessage {
  const data = jobV1.JobRequested.fromPartial({
    jobId: job.jobId,
    nonce: job.nonce,
    time: ts(now),
    data: {
      actionTypeId: job.actionTypeId,
      actionConfiguration: { configuration: job.configuration },
      pipelineContext: {
        pipelineName: job.pipelineName,
        pipelineExecutionId: job.pipelineExecutionId,
        pipelineArn: `arn:pipewright:codepipeline:::${job.pipelineName}`,
        stage: { name: job.stageName },
        action: { name: job.actionName, actionExecutionId: job.jobId },
      },
      inputArtifacts: job.inputArtifacts.map((a) => ({ name: a.name, location: { artifactId: a.artifactId, sha256: a.sha256, sizeBytes: String(a.sizeBytes) } })),
      outputArtifacts: job.outputArtifactNames.map((name) => ({ name, files: job.outputArtifactFiles?.[name] ?? [] })),
      attempt: job.attempt,
      timeoutInMinutes: minutesUntil(now, job.timeoutAt),
      commands: job.commands ?? [],
      environmentVariables: job.environmentVariables ?? [],
      outputVariables: job.outputVariableNames ?? [],
      continuationToken: job.continuationToken ?? '',
      jobToken,
    },
  });
  return message(Topics.JobRequests, job.pipelineName, 'pipewright.job.v1.JobRequested', jobV1.JobRequested.encode(data).finish(), now);
}

export function jobCancelled(s: StartedExecution, jobId: string, reason: string, now: string): NewOutboxMessage {
  const record = s.jobs[jobId];
  const data = jobV1.JobCancelled.fromPartial({
    job: { jobId, pipelineName: s.pipelineName, pipelineExecutionId: s.pipelineExecutionId, stageName: record?.stageName, actionName: record?.actionName, attempt: record?.attempt },
    reason,
    abandon: s.stop?.abandon ?? false,
    time: ts(now),
  });
  return message(Topics.JobRequests, s.pipelineName, 'pipewright.job.v1.JobCancelled', jobV1.JobCancelled.encode(data).finish(), now);
}

/** A state change as CodePipeline's EventBridge-shaped events on the execution-events topic. */
export function stateChanged(change: StateChange, s: StartedExecution): NewOutboxMessage[] {
  const message = stateChangeMessage(change, s);
  const verdict = change.kind === 'ActionExecution' ? approvalVerdict(change, s) : undefined;
  return verdict ? [message, verdict] : [message];
}

const common = (change: StateChange) => ({ pipeline: change.pipelineName, executionId: change.pipelineExecutionId, version: change.pipelineVersion, time: ts(change.time) });
const emit = (change: StateChange, type: string, data: Uint8Array) => message(Topics.ExecutionEvents, change.pipelineName, `pipewright.execution.v1.${type}`, data, change.time);

/** How a manual approval ended, for subscribers of approvals (CodePipeline's manual-approval-succeeded/-failed). */
function approvalVerdict(change: StateChange, s: StartedExecution): NewOutboxMessage | undefined {
  const action = change.stageName && change.actionName ? s.stages[change.stageName]?.actions[change.actionName] : undefined;
  if (action?.kind !== 'Approval') return undefined;
  const state = change.state === 'SUCCEEDED' ? 'APPROVED' : change.state !== 'FAILED' ? undefined : change.errorDetails?.code === 'TimedOut' ? 'EXPIRED' : 'REJECTED';
  if (!state) return undefined;
  const m = executionV1.ApprovalStateChange.fromPartial({
    ...common(change),
    stage: change.stageName,
    action: change.actionName,
    state,
    summary: change.summary,
    approvedBy: action.updatedBy,
    customData: action.configuration['CustomData'],
    externalEntityLink: action.configuration['ExternalEntityLink'],
  });
  return emit(change, 'ApprovalStateChange', executionV1.ApprovalStateChange.encode(m).finish());
}

function stateChangeMessage(change: StateChange, s: StartedExecution): NewOutboxMessage {
  const base = common(change);
  const error = change.errorDetails ? { code: change.errorDetails.code, message: change.errorDetails.message } : undefined;
  switch (change.kind) {
    case 'PipelineExecution': {
      const m = executionV1.PipelineExecutionStateChange.fromPartial({
        ...base,
        state: change.state,
        executionTrigger: change.trigger ?? s.trigger,
        executionMode: s.executionMode,
        executionType: s.executionType,
        startTime: ts(s.startTime),
        summary: change.summary,
        error,
        supersededBy: s.supersededBy,
      });
      return emit(change, 'PipelineExecutionStateChange', executionV1.PipelineExecutionStateChange.encode(m).finish());
    }
    case 'StageExecution': {
      const stage = change.stageName ? s.stages[change.stageName] : undefined;
      const m = executionV1.StageExecutionStateChange.fromPartial({ ...base, stage: change.stageName, state: change.state, startTime: ts(stage?.startTime), summary: change.summary, error });
      return emit(change, 'StageExecutionStateChange', executionV1.StageExecutionStateChange.encode(m).finish());
    }
    case 'ActionExecution': {
      const action = change.stageName && change.actionName ? s.stages[change.stageName]?.actions[change.actionName] : undefined;
      const m = executionV1.ActionExecutionStateChange.fromPartial({
        ...base,
        stage: change.stageName,
        action: change.actionName,
        actionExecutionId: change.actionExecutionId,
        state: change.state,
        attempt: change.attempt,
        type: action?.actionTypeId,
        startTime: ts(action?.startTime),
        outputVariables: change.state === 'SUCCEEDED' ? action?.outputVariables : undefined,
        executionResult: { externalExecutionId: action?.externalExecutionId, externalExecutionSummary: change.summary, externalExecutionUrl: action?.externalExecutionUrl, errorDetails: error },
      });
      return emit(change, 'ActionExecutionStateChange', executionV1.ActionExecutionStateChange.encode(m).finish());
    }
    case 'ApprovalNeeded': {
      const m = executionV1.ApprovalStateChange.fromPartial({
        ...base,
        stage: change.stageName,
        action: change.actionName,
        state: 'NEEDED',
        token: change.approval?.token,
        customData: change.approval?.customData,
        externalEntityLink: change.approval?.externalEntityLink,
        expiresAt: ts(change.approval?.expiresAt),
      });
      return emit(change, 'ApprovalStateChange', executionV1.ApprovalStateChange.encode(m).finish());
    }
  }
}
