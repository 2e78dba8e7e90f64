import { JobFailure, type ActionProvider, type JobContext, type JobOutcome } from './job';

export class JobTimedOut extends Error {
  constructor(readonly timeoutMillis: number) {
    super(`the job timed out after ${timeoutMillis} ms`);
    this.name = new.target.name;
  }
}

export class JobStopped extends Error {
  constructor() {
    super('the job was stopped');
    this.name = new.target.name;
  }
}

/**
 * Runs a job with the provider that supports its action type: enforces the timeout through the
 * job's signal (providers see one signal for stop and timeout) and turns anything thrown into a
 * failed outcome, so a provider's bug fails the job instead of the worker.
 */
export async function runJob(providers: readonly ActionProvider[], job: JobContext): Promise<JobOutcome> {
  const { category, owner, provider: name, version } = job.actionTypeId;
  const provider = providers.find((candidate) => candidate.supports(job.actionTypeId));
  if (!provider) return { status: 'Failed', type: 'ConfigurationError', message: `no built-in provider runs ${category}/${owner}/${name}/${version}` };

  const controller = new AbortController();
  const stop = () => controller.abort(job.signal.reason instanceof Error && job.signal.reason.name !== 'AbortError' ? job.signal.reason : new JobStopped());
  if (job.signal.aborted) stop();
  else job.signal.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(() => controller.abort(new JobTimedOut(job.timeoutMillis)), job.timeoutMillis);
  try {
    return await provider.run({ ...job, signal: controller.signal, log: (chunk) => job.log(chunk) });
  } catch (error) {
    if (error instanceof JobFailure) return { status: 'Failed', type: error.type, message: error.message };
    const reason = controller.signal.aborted ? (controller.signal.reason as Error) : (error as Error);
    return { status: 'Failed', type: 'JobFailed', message: reason?.message ?? String(error) };
  } finally {
    clearTimeout(timer);
    job.signal.removeEventListener('abort', stop);
  }
}
