import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { integerConfig, JobFailure, optionalConfig, outputDir, succeeded, type ActionProvider, type ActionTypeId, type JobContext, type JobOutcome } from '../job';
import { abortFailure } from '../process/shell';

/** Build|Test/Pipewright/NoOp: waits SleepMillis, then succeeds (or fails when Fail is true). For tests and benchmarks. */
export class NoOpProvider implements ActionProvider {
  supports(type: ActionTypeId): boolean {
    return type.owner === 'Pipewright' && type.provider === 'NoOp' && (type.category === 'Build' || type.category === 'Test');
  }

  async run(job: JobContext): Promise<JobOutcome> {
    const sleepMillis = integerConfig(job, 'SleepMillis', 0, 0);
    const fail = optionalConfig(job, 'Fail')?.toLowerCase() === 'true';
    if (sleepMillis) await sleep(sleepMillis, undefined, { signal: job.signal }).catch(() => undefined);
    if (job.signal.aborted) throw abortFailure(job);
    if (fail) throw new JobFailure('JobFailed', 'NoOp configured to fail');
    const outputDirs: Record<string, string> = {};
    for (const { name } of job.outputArtifacts) {
      outputDirs[name] = outputDir(job, name);
      await fs.mkdir(outputDirs[name], { recursive: true });
    }
    return succeeded({ outputDirs, outputVariables: { SleptMillis: String(sleepMillis) }, summary: `NoOp after ${sleepMillis} ms` });
  }
}
