import type { ActionTypeId, OutputArtifactSpec, PipelineContext } from '@pipewright/action-providers';
import type { commonV1, jobV1 } from '@pipewright/contracts';

/** CodePipeline's default action timeout when a job names none. */
const DEFAULT_TIMEOUT_MINUTES = 60;

export interface InputArtifact {
  name: string;
  location: commonV1.ArtifactRef;
}

/** A job as the worker runs it: JobRequested, checked and flattened. */
export interface JobSpec {
  jobId: string;
  nonce: string;
  ref: jobV1.JobRef;
  actionTypeId: ActionTypeId;
  configuration: Record<string, string>;
  inputArtifacts: InputArtifact[];
  outputArtifacts: OutputArtifactSpec[];
  pipelineContext: PipelineContext;
  commands: string[];
  /** The Commands action's environment variables (name → value). */
  environmentVariables: Record<string, string>;
  outputVariableNames: string[];
  timeoutMillis: number;
  /** The bearer token for this job's own calls (artifacts, secrets); empty when auth is off. */
  jobToken: string;
}

export class MalformedJobRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export const actionTypeText = (t: ActionTypeId) => `${t.category}/${t.owner}/${t.provider}/${t.version}`;

export function jobSpecOf(request: jobV1.JobRequested, maxTimeoutMs?: number): JobSpec {
  const data = request.data;
  const type = data?.actionTypeId;
  const context = data?.pipelineContext;
  if (!request.jobId) throw new MalformedJobRequest('JobRequested has no job_id');
  if (!data || !type?.category || !type.owner || !type.provider) throw new MalformedJobRequest(`JobRequested ${request.jobId} has no action type`);
  if (!context?.pipelineName || !context.pipelineExecutionId) throw new MalformedJobRequest(`JobRequested ${request.jobId} has no pipeline context`);
  for (const input of data.inputArtifacts) {
    if (!input.location?.artifactId) throw new MalformedJobRequest(`JobRequested ${request.jobId}: input artifact ${input.name} has no location`);
  }
  const minutes = data.timeoutInMinutes > 0 ? data.timeoutInMinutes : DEFAULT_TIMEOUT_MINUTES;
  const pipelineContext: PipelineContext = {
    pipelineName: context.pipelineName,
    stageName: context.stage?.name ?? '',
    actionName: context.action?.name ?? '',
    pipelineExecutionId: context.pipelineExecutionId,
  };
  return {
    jobId: request.jobId,
    nonce: request.nonce,
    ref: {
      jobId: request.jobId,
      pipelineName: pipelineContext.pipelineName,
      pipelineExecutionId: pipelineContext.pipelineExecutionId,
      stageName: pipelineContext.stageName,
      actionName: pipelineContext.actionName,
      attempt: data.attempt,
    },
    actionTypeId: { category: type.category, owner: type.owner, provider: type.provider, version: type.version } as ActionTypeId,
    configuration: { ...(data.actionConfiguration?.configuration ?? {}) },
    inputArtifacts: data.inputArtifacts.map((a) => ({ name: a.name, location: a.location! })),
    outputArtifacts: data.outputArtifacts.map((a) => (a.files.length ? { name: a.name, files: [...a.files] } : { name: a.name })),
    pipelineContext,
    commands: [...data.commands],
    environmentVariables: Object.fromEntries(data.environmentVariables.map((v) => [v.name, v.value])),
    outputVariableNames: [...data.outputVariables],
    timeoutMillis: Math.min(minutes * 60_000, maxTimeoutMs ?? Number.MAX_SAFE_INTEGER),
    jobToken: data.jobToken,
  };
}
