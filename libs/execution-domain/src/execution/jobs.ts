import { heartbeatTimeoutSeconds } from '../policy';
import { addSeconds, isAtOrAfter } from '../time';
import type { AcknowledgeJob, CompleteJob, ContinueJob, FailJob, RecordJobHeartbeat } from './commands';
import { Draft } from './draft';
import { InvalidJobResult, JobAlreadyFinished, JobNonceMismatch, JobNotFound, StaleJobAttempt } from './errors';
import type { ExecutionEvent } from './events';
import { actionDeclaration, advanceStage, failAttempt } from './progress';
import type { ActionExecutionState, JobRecord, StartedExecution } from './state';

interface CurrentJob {
  job: JobRecord;
  action: ActionExecutionState;
}

/**
 * Finds a job and checks the caller holds its nonce. A result the worker already reported is
 * recognised (`duplicate`) before staleness, so a replayed message for an old attempt is a no-op.
 */
function lookUpJob(s: StartedExecution, jobId: string, nonce: string, result?: 'Succeeded' | 'Failed'): CurrentJob | 'duplicate' {
  const job = s.jobs[jobId];
  if (!job) throw new JobNotFound(`Job ${jobId} does not belong to execution ${s.pipelineExecutionId}`, { jobId });
  if (job.nonce !== nonce) throw new JobNonceMismatch(`The nonce given for job ${jobId} does not match the job's`, { jobId });
  if (result && job.workerResult === result) return 'duplicate';
  const action = s.stages[job.stageName]?.actions[job.actionName];
  if (!action || action.jobId !== jobId) {
    throw new StaleJobAttempt(`Job ${jobId} is attempt ${job.attempt} of action '${job.actionName}', which a newer attempt replaced`, { jobId });
  }
  return { job, action };
}

export function acknowledgeJob(command: AcknowledgeJob, s: StartedExecution): ExecutionEvent[] {
  const { jobId, nonce, now } = command.data;
  const found = lookUpJob(s, jobId, nonce) as CurrentJob;
  if (found.action.acknowledged || found.action.status !== 'InProgress') return [];
  const d = new Draft(s);
  d.emit('JobAcknowledged', { stageName: found.job.stageName, actionName: found.job.actionName, jobId, at: now });
  return d.events;
}

export function recordJobHeartbeat(command: RecordJobHeartbeat, s: StartedExecution): ExecutionEvent[] {
  const { jobId, nonce, now } = command.data;
  const found = lookUpJob(s, jobId, nonce) as CurrentJob;
  if (found.action.status !== 'InProgress') throw new JobAlreadyFinished(`Job ${jobId} has already ended (${found.action.status})`, { jobId });
  const d = new Draft(s);
  d.emit('JobHeartbeatRecorded', { stageName: found.job.stageName, actionName: found.job.actionName, jobId, at: now });
  return d.events;
}

export function continueJob(command: ContinueJob, s: StartedExecution): ExecutionEvent[] {
  const c = command.data;
  const found = lookUpJob(s, c.jobId, c.nonce) as CurrentJob;
  if (found.action.status !== 'InProgress') throw new JobAlreadyFinished(`Job ${c.jobId} has already ended (${found.action.status})`, { jobId: c.jobId });
  if (!c.continuationToken) throw new InvalidJobResult(`Job ${c.jobId}: a continuation needs a continuation token`, { jobId: c.jobId });
  const d = new Draft(s);
  d.emit('JobContinued', { stageName: found.job.stageName, actionName: found.job.actionName, jobId: c.jobId, continuationToken: c.continuationToken, summary: c.summary, at: c.now });
  return d.events;
}

export function completeJob(command: CompleteJob, s: StartedExecution): ExecutionEvent[] {
  const c = command.data;
  const found = lookUpJob(s, c.jobId, c.nonce, 'Succeeded');
  if (found === 'duplicate') return [];
  const { job, action } = found;
  if (action.status !== 'InProgress') throw new JobAlreadyFinished(`Job ${c.jobId} has already ended (${action.status})`, { jobId: c.jobId });
  const declared = (actionDeclaration(s, job.stageName, job.actionName)?.outputArtifacts ?? []).map((a) => a.name).sort();
  const reported = c.outputArtifacts.map((a) => a.name).sort();
  if (declared.join('\n') !== reported.join('\n')) {
    throw new InvalidJobResult(`Job ${c.jobId} must report output artifacts [${declared.join(', ')}], it reported [${reported.join(', ')}]`, { jobId: c.jobId });
  }
  const d = new Draft(s);
  d.emit('ActionExecutionSucceeded', {
    stageName: job.stageName,
    actionName: job.actionName,
    attempt: job.attempt,
    outputArtifacts: c.outputArtifacts,
    outputVariables: c.outputVariables ?? {},
    summary: c.summary,
    externalExecutionId: c.externalExecutionId,
    externalExecutionUrl: c.externalExecutionUrl,
    currentRevision: c.currentRevision,
    at: c.now,
  });
  advanceStage(d, job.stageName, c.now);
  return d.events;
}

export function failJob(command: FailJob, s: StartedExecution): ExecutionEvent[] {
  const c = command.data;
  const found = lookUpJob(s, c.jobId, c.nonce, 'Failed');
  if (found === 'duplicate') return [];
  const { job, action } = found;
  if (action.status !== 'InProgress') throw new JobAlreadyFinished(`Job ${c.jobId} has already ended (${action.status})`, { jobId: c.jobId });
  const d = new Draft(s);
  failAttempt(d, job.stageName, job.actionName, { code: c.failureDetails.type, message: c.failureDetails.message }, c.now, {
    externalExecutionId: c.failureDetails.externalExecutionId,
  });
  return d.events;
}

/** A worker that started heartbeating and went silent: the job is failed, never silently lost. */
export function heartbeatExpired(s: StartedExecution, jobId: string, now: string): ExecutionEvent[] {
  const job = s.jobs[jobId];
  const action = job ? s.stages[job.stageName]?.actions[job.actionName] : undefined;
  if (!job || !action || action.jobId !== jobId || action.status !== 'InProgress' || !action.lastHeartbeatAt) return [];
  if (!isAtOrAfter(now, addSeconds(action.lastHeartbeatAt, heartbeatTimeoutSeconds(s)))) return [];
  const d = new Draft(s);
  failAttempt(d, job.stageName, job.actionName, { code: 'HeartbeatTimeout', message: `No heartbeat from the job worker since ${action.lastHeartbeatAt}` }, now, { cancelJob: true });
  return d.events;
}
