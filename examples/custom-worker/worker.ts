/**
 * A custom job worker for Pipewright, as one would write for CodePipeline: it polls JobService
 * for jobs of one custom action type, acknowledges each with its nonce, does the work and reports
 * success (with output variables, or a continuation token to come back later) or failure.
 *
 *   node -r @pipewright/ts-register examples/custom-worker/worker.ts \
 *     --address 127.0.0.1:7052 --category Deploy --provider FileWriter [--version 1] [--max-jobs N]
 *
 * With PIPEWRIGHT_AUTH=required, PIPEWRIGHT_TOKEN is the worker's service-account token (role worker);
 * each job is then acknowledged and reported with its own job token.
 *
 * See README.md beside this file.
 */
import { parseArgs } from 'node:util';
import { ActionTypeId, Job, JobServiceClient } from './job-service-client';
import { perform } from './work';

const { values: args } = parseArgs({
  options: {
    address: { type: 'string', default: process.env.PIPEWRIGHT_ORCHESTRATOR_ADDRESS ?? '127.0.0.1:7052' },
    category: { type: 'string', default: 'Deploy' },
    owner: { type: 'string', default: 'Custom' },
    provider: { type: 'string' },
    version: { type: 'string', default: '1' },
    'max-batch-size': { type: 'string', default: '1' },
    // Only jobs whose configuration has these values (CodePipeline's queryParam), e.g. --query Env=prod.
    query: { type: 'string', multiple: true, default: [] },
    // Stop after this many job passes (0: run until SIGTERM/SIGINT).
    'max-jobs': { type: 'string', default: '0' },
  },
});

const log = (msg: string, fields: Record<string, unknown> = {}) => console.log(JSON.stringify({ time: new Date().toISOString(), worker: 'custom-worker', msg, ...fields }));

function actionTypeId(): ActionTypeId {
  if (!args.provider) {
    console.error('--provider is required (the custom action type to work for)');
    process.exit(2);
  }
  return { category: args.category!, owner: args.owner!, provider: args.provider, version: args.version! };
}

const queryParam = Object.fromEntries(args.query!.map((q) => [q.slice(0, q.indexOf('=')), q.slice(q.indexOf('=') + 1)]));

/** One pass over one job: acknowledge, work, report. A refused acknowledgement means another worker has it. */
async function handle(client: JobServiceClient, job: Job): Promise<void> {
  const context = { jobId: job.id, pipeline: job.data.pipelineContext.pipelineName, action: job.data.pipelineContext.action.name, continuationToken: job.data.continuationToken || undefined };
  const status = await client.acknowledgeJob(job);
  if (status !== 'InProgress') {
    log('job not ours to run', { ...context, status });
    return;
  }
  log('job acknowledged', context);
  const outcome = await perform(job.data.actionConfiguration.configuration, job.data.continuationToken).catch((error: Error) => ({
    kind: 'failed' as const,
    failure: { type: 'JobFailed' as const, message: error.message },
  }));
  switch (outcome.kind) {
    case 'succeeded':
      await client.putJobSuccessResult(job, { summary: outcome.summary, outputVariables: outcome.outputVariables });
      break;
    case 'continue':
      await client.putJobSuccessResult(job, { summary: outcome.summary, continuationToken: outcome.continuationToken });
      break;
    case 'failed':
      await client.putJobFailureResult(job, outcome.failure);
      break;
  }
  log(`job ${outcome.kind}`, { ...context, ...(outcome.kind === 'failed' ? { failure: outcome.failure } : { summary: outcome.summary }) });
}

async function main(): Promise<void> {
  const type = actionTypeId();
  const maxJobs = Number(args['max-jobs']);
  const client = new JobServiceClient(args.address!, process.env.PIPEWRIGHT_TOKEN || undefined);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => (stopping = true));
  log('polling', { address: args.address, actionTypeId: type, queryParam });
  let handled = 0;
  while (!stopping && (maxJobs === 0 || handled < maxJobs)) {
    let jobs: Job[];
    try {
      jobs = await client.pollForJobs(type, Number(args['max-batch-size']), queryParam);
    } catch (error) {
      // The orchestrator may be restarting: wait a little and poll again.
      log('poll failed', { error: (error as Error).message });
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    for (const job of jobs) {
      try {
        await handle(client, job);
      } catch (error) {
        log('job pass failed', { jobId: job.id, error: (error as Error).message });
      }
      handled++;
    }
  }
  client.close();
  log('stopped', { handled });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
