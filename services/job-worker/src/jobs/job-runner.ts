import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { builtInProviders, JobFailure, JobTimedOut, runJob, SecretMasker, type ActionProvider, type FailureType, type JobOutcome } from '@pipewright/action-providers';
import { extractArchive, packDirectory } from '@pipewright/artifact-store';
import { inSpan, PipewrightAttributes } from '@pipewright/telemetry';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { JobLogWriter } from '../logs/job-log';
import { JobLogStore } from '../logs/job-log-store';
import { ArtifactClient, ArtifactTransferFailed } from './artifact-client';
import { JobEventsPublisher, OutputArtifactResult, SuccessResult } from './job-events.publisher';
import { actionTypeText, JobSpec } from './job-request';
import { JobSecrets } from './job-secrets';
import { WorkerShuttingDown } from './stop-reasons';
import { countJobRun } from './job-metrics';

export const ARTIFACT_CLIENT = Symbol('ArtifactClient');
export const JOB_SECRETS = Symbol('JobSecrets');

type Result = { status: 'Succeeded'; result: SuccessResult } | { status: 'Failed'; type: FailureType; message: string };

/**
 * Runs one job end to end: acknowledge, heartbeat, workspace, inputs in, provider, outputs up,
 * result out, workspace gone. Everything the job prints (and the worker's own steps) goes to its log.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('jobs');
  private readonly providers: ActionProvider[] = builtInProviders();

  constructor(
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(ARTIFACT_CLIENT) private readonly artifacts: ArtifactClient,
    @Inject(JOB_SECRETS) private readonly secrets: JobSecrets,
    private readonly events: JobEventsPublisher,
    private readonly logs: JobLogStore,
  ) {}

  supports(job: Pick<JobSpec, 'actionTypeId'>): boolean {
    return this.providers.some((provider) => provider.supports(job.actionTypeId));
  }

  /** One span per job, a child of the JobRequested it came from; its outcome is an attribute, not an error status. */
  run(job: JobSpec, stop: AbortSignal): Promise<'Succeeded' | 'Failed'> {
    const { pipelineName, pipelineExecutionId, stageName, actionName } = job.pipelineContext;
    const attributes = {
      [PipewrightAttributes.executionId]: pipelineExecutionId,
      [PipewrightAttributes.pipeline]: pipelineName,
      [PipewrightAttributes.stage]: stageName,
      [PipewrightAttributes.action]: actionName,
      [PipewrightAttributes.jobId]: job.jobId,
      'pipewright.action.type': actionTypeText(job.actionTypeId),
    };
    return inSpan(`job ${actionTypeText(job.actionTypeId)}`, { attributes }, async (span) => {
      const status = await this.runJob(job, stop);
      span.setAttribute('pipewright.job.status', status);
      return status;
    });
  }

  private async runJob(job: JobSpec, stop: AbortSignal): Promise<'Succeeded' | 'Failed'> {
    const log = await this.logs.open(job.jobId);
    const workspace = path.join(this.config.workspaceRoot, job.jobId);
    await this.events.acknowledged(job).catch(async (error: unknown) => {
      await log.close(); // followers of the log must not wait for a job that never ran
      throw error;
    });
    // The timeout covers the whole job (artifact transfers too), not only the provider's part.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new JobTimedOut(job.timeoutMillis)), job.timeoutMillis);
    const signal = AbortSignal.any([stop, timeout.signal]);
    const heartbeat = setInterval(() => void this.events.heartbeat(job, `running on ${this.config.workerId}`), this.config.heartbeatMs);
    this.logger.log(`job ${job.jobId} (${actionTypeText(job.actionTypeId)}, ${job.pipelineContext.pipelineName}/${job.pipelineContext.stageName}/${job.pipelineContext.actionName}) started`);
    let result: Result;
    // Secret values live in this job's memory only; whatever leaves it (log, result, events) is masked.
    let masker = new SecretMasker([]);
    try {
      log.note(`job ${job.jobId}: ${actionTypeText(job.actionTypeId)} on worker ${this.config.workerId}`);
      const resolved = await this.secrets.resolve(job);
      masker = resolved.masker;
      log.maskWith(masker);
      result = await this.attempt(resolved.job, workspace, log, signal);
    } catch (error) {
      result = failure(error, signal);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timer);
      await fs.rm(workspace, { recursive: true, force: true }).catch((error: Error) => this.logger.warn(`workspace ${workspace} not removed: ${error.message}`));
    }
    result = masked(result, masker);
    if (result.status === 'Succeeded') {
      log.note(`succeeded: ${result.result.summary}`);
      await log.close();
      await this.events.succeeded(job, result.result);
    } else {
      log.note(`failed (${result.type}): ${result.message.split('\n')[0]}`);
      const message = result.message.includes('Last lines of the log') || !log.lastLines() ? result.message : `${result.message}\nLast lines of the log:\n${log.lastLines()}`;
      await log.close();
      await this.events.failed(job, result.type, message);
    }
    this.logger.log(`job ${job.jobId} ${result.status.toLowerCase()}`);
    countJobRun(job.actionTypeId.provider, result.status);
    return result.status;
  }

  private async attempt(job: JobSpec, workspace: string, log: JobLogWriter, signal: AbortSignal): Promise<Result> {
    await fs.rm(workspace, { recursive: true, force: true });
    await fs.mkdir(path.join(workspace, 'inputs'), { recursive: true });
    for (const input of job.inputArtifacts) {
      log.note(`downloading input artifact ${input.name} (${input.location.artifactId})`);
      const report = await inSpan(`artifact download ${input.name}`, { attributes: { [PipewrightAttributes.artifactName]: input.name, [PipewrightAttributes.artifactId]: input.location.artifactId } }, () =>
        extractArchive(this.artifacts.download(input.location, signal, job.jobToken), path.join(workspace, 'inputs', input.name)),
      );
      log.note(`extracted ${report.entries} entries (${report.bytes} bytes) into inputs/${input.name}`);
    }
    const outcome: JobOutcome = await runJob(this.providers, {
      jobId: job.jobId,
      actionTypeId: job.actionTypeId,
      configuration: job.configuration,
      workspaceDir: workspace,
      inputArtifactNames: job.inputArtifacts.map((a) => a.name),
      outputArtifacts: job.outputArtifacts,
      pipelineContext: job.pipelineContext,
      commands: job.commands.length ? job.commands : undefined,
      environmentVariables: job.environmentVariables,
      outputVariableNames: job.outputVariableNames,
      signal,
      timeoutMillis: job.timeoutMillis,
      log: (chunk) => log.append(chunk),
    });
    if (outcome.status === 'Failed') return { status: 'Failed', type: signal.reason instanceof WorkerShuttingDown ? 'SystemUnavailable' : outcome.type, message: outcome.message };

    const revision = outcome.outputVariables.CommitId;
    const outputArtifacts: OutputArtifactResult[] = [];
    for (const output of job.outputArtifacts) {
      const dir = outcome.outputDirs[output.name];
      if (!dir) return { status: 'Failed', type: 'ConfigurationError', message: `the action produced no output artifact ${output.name}` };
      log.note(`uploading output artifact ${output.name}`);
      const target = { pipelineExecutionId: job.pipelineContext.pipelineExecutionId, pipelineName: job.pipelineContext.pipelineName, actionName: job.pipelineContext.actionName, name: output.name };
      const location = await inSpan(`artifact upload ${output.name}`, { attributes: { [PipewrightAttributes.artifactName]: output.name } }, async (span) => {
        const uploaded = await this.artifacts.upload(target, packDirectory(dir), signal, job.jobToken);
        span.setAttribute(PipewrightAttributes.artifactId, uploaded.artifactId);
        return uploaded;
      });
      log.note(`uploaded ${output.name} as ${location.artifactId} (${location.sizeBytes} bytes, sha256 ${location.sha256})`);
      outputArtifacts.push({ name: output.name, revision, location });
    }
    return {
      status: 'Succeeded',
      result: {
        outputArtifacts,
        outputVariables: { ...outcome.outputVariables },
        summary: outcome.summary,
        externalLink: outcome.externalLink,
        currentRevision: revision ? { revision, changeIdentifier: revision, created: undefined, revisionSummary: outcome.summary } : undefined,
      },
    };
  }
}

/** The result as it may leave the worker: no secret value in any text of it. */
function masked(result: Result, masker: SecretMasker): Result {
  if (masker.empty) return result;
  if (result.status === 'Failed') return { ...result, message: masker.mask(result.message) };
  const { outputArtifacts, outputVariables, summary, externalLink, currentRevision } = result.result;
  return {
    status: 'Succeeded',
    result: {
      outputArtifacts: outputArtifacts.map((a) => (a.revision === undefined ? a : { ...a, revision: masker.mask(a.revision) })),
      outputVariables: masker.maskRecord(outputVariables),
      summary: masker.mask(summary),
      externalLink: externalLink === undefined ? undefined : masker.mask(externalLink),
      currentRevision: currentRevision && { ...currentRevision, revision: masker.mask(currentRevision.revision), changeIdentifier: masker.mask(currentRevision.changeIdentifier), revisionSummary: masker.mask(currentRevision.revisionSummary) },
    },
  };
}

/** What went wrong outside the provider (artifacts, workspace, secrets) as a job failure. */
function failure(error: unknown, signal: AbortSignal): Result {
  if (signal.aborted && signal.reason instanceof Error) {
    return { status: 'Failed', type: signal.reason instanceof WorkerShuttingDown ? 'SystemUnavailable' : 'JobFailed', message: signal.reason.message };
  }
  if (error instanceof JobFailure) return { status: 'Failed', type: error.type, message: error.message };
  if (error instanceof ArtifactTransferFailed) return { status: 'Failed', type: error.transient ? 'SystemUnavailable' : 'JobFailed', message: error.message };
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { status: 'Failed', type: 'JobFailed', message };
}
