import { UsageError } from '../config';
import { CliContext } from '../context';
import { time } from '../output';
import { Args } from './args';
import { stateRows } from './execution';
import { table } from '../output';

/** Resolves when the server stream ends, rejects on its error; Ctrl-C cancels it quietly. */
function drain(stream: NodeJS.EventEmitter & { cancel(): void }, onData: (message: any) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = () => stream.cancel();
    process.once('SIGINT', cancel);
    stream.on('data', onData);
    stream.on('end', () => resolve());
    stream.on('error', (error: { code?: number }) => (error.code === 1 ? resolve() : reject(error)));
    stream.on('close', () => process.removeListener('SIGINT', cancel));
  });
}

/** logs <job> [--follow] [--tail n] */
export async function logsCommand(ctx: CliContext, args: Args): Promise<void> {
  const jobId = args.positionals[0];
  if (!jobId) throw new UsageError('logs <job> [--follow] [--tail n]');
  const stub = ctx.client('JobLogService').stub as any;
  const stream = stub.GetJobLogs({ jobId, tailLines: Number(args.value('tail') ?? 0), follow: args.flag('follow') }, ctx.metadata());
  await drain(stream, (chunk) => process.stdout.write(chunk.text));
}

/** events [--pipeline p] [--execution id] [--follow]: the execution events, as the notification service keeps them. */
export async function eventsCommand(ctx: CliContext, args: Args): Promise<void> {
  const stub = ctx.client('NotificationService').stub as any;
  const stream = stub.WatchEvents({ pipelineName: args.value('pipeline') ?? '', pipelineExecutionId: args.value('execution') ?? '', afterPosition: args.flag('follow') ? undefined : 0 }, ctx.metadata());
  const quiet = args.flag('follow') ? undefined : setTimeout(() => stream.cancel(), 1500);
  await drain(stream, (event) => {
    if (quiet) quiet.refresh();
    if (ctx.output === 'json') process.stdout.write(JSON.stringify(event) + '\n');
    else process.stdout.write(`${event.position}\t${time(event.time)}\t${event.eventTypeId || event.eventType}\t${event.pipelineName ?? ''}\n`);
  });
}

/**
 * watch <pipeline> [execution]: stages and actions with status and durations, redrawn in place on a
 * terminal and printed as plain changed lines otherwise; ends when the execution ends or waits for approval.
 */
export async function watchCommand(ctx: CliContext, args: Args): Promise<void> {
  const [pipeline, executionId] = args.positionals;
  if (!pipeline) throw new UsageError('watch <pipeline> [execution]');
  const executions = ctx.client('ExecutionService');
  const tty = process.stdout.isTTY;
  let last = '';
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  while (!stop) {
    const state = await executions.call('GetPipelineState', { name: pipeline });
    const rows = stateRows(state).filter((r) => !executionId || r.execution === executionId);
    const current = executionId ?? (rows.find((r) => r.execution)?.execution as string | undefined);
    const execution = current ? (await executions.call('GetPipelineExecution', { pipelineName: pipeline, pipelineExecutionId: current })).pipelineExecution : undefined;
    const header = `${pipeline}  execution ${current ?? '-'}  ${execution?.status ?? ''}`;
    const view = `${header}\n${table(rows)}`;
    if (view !== last) {
      if (tty) process.stdout.write('\x1b[2J\x1b[H' + view);
      else for (const line of view.split('\n').filter((l) => !last.includes(l))) process.stdout.write(line + '\n');
      last = view;
    }
    const pendingApproval = rows.find((r) => r.status === 'InProgress' && state.stageStates.some((s: any) => s.actionStates.some((a: any) => a.actionName === r.action && a.latestExecution?.token)));
    if (execution && ['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled'].includes(execution.status)) break;
    if (pendingApproval) {
      process.stdout.write(`waiting for approval: pipewright approve ${pipeline} ${pendingApproval.stage} ${pendingApproval.action} --summary "looks good"\n`);
      break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
