import { UsageError } from '../config';
import { CliContext } from '../context';
import { print, time } from '../output';
import { Args } from './args';

function pairs(values: string[], flag: string): [string, string][] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--${flag} takes name=value, got "${v}"`);
    return [v.slice(0, i), v.slice(i + 1)];
  });
}

function need(value: string | undefined, usage: string): string {
  if (!value) throw new UsageError(usage);
  return value;
}

/** The rows `state` and `watch` show: one per action, with its stage's inbound transition. */
export function stateRows(state: any): Record<string, unknown>[] {
  return (state.stageStates ?? []).flatMap((stage: any) =>
    (stage.actionStates ?? []).map((a: any) => ({
      stage: stage.stageName,
      transition: stage.inboundTransitionState?.enabled === false ? 'disabled' : '',
      action: a.actionName,
      status: a.latestExecution?.status ?? '',
      summary: a.latestExecution?.summary || a.latestExecution?.errorDetails?.message || '',
      changed: time(a.latestExecution?.lastStatusChange) ?? '',
      execution: stage.latestExecution?.pipelineExecutionId ?? '',
    })),
  );
}

/** start, state, executions, actions, approve, reject, retry, stop, transition */
export async function executionCommand(ctx: CliContext, command: string, args: Args): Promise<void> {
  const executions = ctx.client('ExecutionService');
  const [first, second, third] = args.positionals;
  switch (command) {
    case 'start': {
      const name = need(first, 'start <pipeline> [--variable k=v] [--source-revision Action=revision]');
      const response = await executions.call('StartPipelineExecution', {
        name,
        variables: pairs(args.list('variable'), 'variable').map(([n, value]) => ({ name: n, value })),
        sourceRevisions: pairs(args.list('source-revision'), 'source-revision').map(([actionName, revisionValue]) => ({ actionName, revisionType: 'COMMIT_ID', revisionValue })),
        clientRequestToken: args.value('client-request-token') ?? '',
      });
      return print(response, ctx.output);
    }
    case 'state': {
      const state = await executions.call('GetPipelineState', { name: need(first, 'state <pipeline>') });
      return print(state, ctx.output, stateRows(state));
    }
    case 'executions': {
      const response = await executions.call('ListPipelineExecutions', { pipelineName: need(first, 'executions <pipeline>'), maxResults: 100 });
      const rows = response.pipelineExecutionSummaries.map((e: any) => ({ execution: e.pipelineExecutionId, status: e.status, trigger: e.trigger?.triggerType, started: time(e.startTime), updated: time(e.lastUpdateTime) }));
      return print(response.pipelineExecutionSummaries, ctx.output, rows);
    }
    case 'actions': {
      const response = await executions.call('ListActionExecutions', { pipelineName: need(first, 'actions <pipeline> [--execution id]'), filter: { pipelineExecutionId: args.value('execution') ?? '' }, maxResults: 100 });
      const rows = response.actionExecutionDetails.map((a: any) => ({ stage: a.stageName, action: a.actionName, attempt: a.attempt, status: a.status, started: time(a.startTime), execution: a.pipelineExecutionId }));
      return print(response.actionExecutionDetails, ctx.output, rows);
    }
    case 'approve':
    case 'reject': {
      const usage = `${command} <pipeline> <stage> <action> --summary text [--token t]`;
      const [pipelineName, stageName, actionName] = [need(first, usage), need(second, usage), need(third, usage)];
      const token = args.value('token') ?? (await approvalToken(ctx, pipelineName, stageName, actionName));
      const response = await executions.call('PutApprovalResult', { pipelineName, stageName, actionName, token, result: { status: command === 'approve' ? 'Approved' : 'Rejected', summary: args.value('summary') ?? '' } });
      return print({ ...response, approvedAt: time(response.approvedAt) }, ctx.output);
    }
    case 'retry': {
      const usage = 'retry <pipeline> <stage> --failed|--all [--execution id]';
      if (args.flag('failed') === args.flag('all')) throw new UsageError(usage);
      const pipelineName = need(first, usage);
      const stageName = need(second, usage);
      const pipelineExecutionId = args.value('execution') ?? (await latestExecutionOfStage(ctx, pipelineName, stageName));
      const response = await executions.call('RetryStageExecution', { pipelineName, stageName, pipelineExecutionId, retryMode: args.flag('all') ? 'ALL_ACTIONS' : 'FAILED_ACTIONS' });
      return print(response, ctx.output);
    }
    case 'stop': {
      const executionId = need(first, 'stop <execution> [--pipeline name] [--abandon] [--reason text]');
      const pipelineName = args.value('pipeline') ?? (await pipelineOfExecution(ctx, executionId));
      const response = await executions.call('StopPipelineExecution', { pipelineName, pipelineExecutionId: executionId, abandon: args.flag('abandon'), reason: args.value('reason') ?? '' });
      return print(response, ctx.output);
    }
    case 'transition': {
      const usage = 'transition enable|disable <pipeline> <stage> [--reason text]';
      if (first !== 'enable' && first !== 'disable') throw new UsageError(usage);
      const request = { pipelineName: need(second, usage), stageName: need(third, usage), transitionType: 'Inbound', reason: args.value('reason') ?? 'disabled from the CLI' };
      await executions.call(first === 'enable' ? 'EnableStageTransition' : 'DisableStageTransition', request);
      return print({ [first + 'd']: `${request.pipelineName}.${request.stageName}` }, ctx.output);
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function approvalToken(ctx: CliContext, pipelineName: string, stageName: string, actionName: string): Promise<string> {
  const state = await ctx.client('ExecutionService').call('GetPipelineState', { name: pipelineName });
  const stage = state.stageStates.find((s: any) => s.stageName === stageName);
  const action = stage?.actionStates.find((a: any) => a.actionName === actionName);
  const token = action?.latestExecution?.token;
  if (!token) throw new UsageError(`${pipelineName}.${stageName}.${actionName} has no pending approval`);
  return token;
}

async function latestExecutionOfStage(ctx: CliContext, pipelineName: string, stageName: string): Promise<string> {
  const state = await ctx.client('ExecutionService').call('GetPipelineState', { name: pipelineName });
  const id = state.stageStates.find((s: any) => s.stageName === stageName)?.latestExecution?.pipelineExecutionId;
  if (!id) throw new UsageError(`stage ${stageName} of ${pipelineName} has not run`);
  return id;
}

async function pipelineOfExecution(ctx: CliContext, executionId: string): Promise<string> {
  const { pipelines } = await ctx.client('PipelineService').call('ListPipelines', { maxResults: 1000 });
  for (const p of pipelines) {
    let nextToken = '';
    do {
      const page = await ctx.client('ExecutionService').call('ListPipelineExecutions', { pipelineName: p.name, maxResults: 100, nextToken });
      if (page.pipelineExecutionSummaries.some((e: any) => e.pipelineExecutionId === executionId)) return p.name;
      nextToken = page.nextToken;
    } while (nextToken);
  }
  throw new UsageError(`no pipeline has execution ${executionId} (give --pipeline)`);
}
