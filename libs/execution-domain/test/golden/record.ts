import { fold } from '@pipewright/decider';
import { approvalTokenFor, actionExecutionIdFor, executionDecider, type ExecutionEvent } from '../../src';
import { approval, artifact, at, build, complete, enter, EXECUTION_ID, fail, history, pipeline, SEED, startCommand } from '../support';

/**
 * The scenarios the committed golden histories were recorded from. Recording is a one-off
 * (`node -r @pipewright/ts-register libs/execution-domain/test/golden/record.ts` writes the JSON);
 * the golden test only replays the committed files, so old histories keep folding the same.
 */
export function scenarios(): Record<string, ExecutionEvent[]> {
  const approved = pipeline(
    [
      { name: 'Build', actions: [build('Compile', 1, { outputArtifacts: [{ name: 'BuildArtifact' }], namespace: 'BuildVariables', configuration: { Env: '#{variables.env}' } })] },
      { name: 'Approval', actions: [approval('Approve')] },
      { name: 'Deploy', actions: [build('Ship', 1, { inputArtifacts: [{ name: 'BuildArtifact' }], configuration: { Version: '#{BuildVariables.Version}' } })] },
    ],
    { variables: [{ name: 'env', defaultValue: 'dev' }] },
  );
  let a = history([startCommand(approved, { variables: [{ name: 'env', value: 'prod' }] }), enter('Source', at(1))]);
  a = history([complete(a, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')], outputVariables: { CommitId: 'abc' }, currentRevision: { revision: 'abc' } }), enter('Build', at(3))], a);
  a = history([complete(a, 'Build', 'Compile', at(4), { outputArtifacts: [artifact('BuildArtifact', 'b')], outputVariables: { Version: '2.1' } }), enter('Approval', at(5))], a);
  const token = approvalTokenFor(SEED, actionExecutionIdFor(EXECUTION_ID, 'Approval', 'Approve', 1));
  a = history([{ type: 'PutApprovalResult', data: { stageName: 'Approval', actionName: 'Approve', token, result: { status: 'Approved', summary: 'ok' }, approvedBy: 'alice', now: at(6) } }, enter('Deploy', at(7))], a);
  a = history([complete(a, 'Deploy', 'Ship', at(8))], a);

  const parallel = pipeline([{ name: 'Build', actions: [build('Compile', 1), build('Lint', 1), build('Package', 2)] }]);
  let r = history([startCommand(parallel), enter('Source', at(1))]);
  r = history([complete(r, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')] }), enter('Build', at(3))], r);
  r = history([fail(r, 'Build', 'Compile', at(4)), complete(r, 'Build', 'Lint', at(5))], r);
  r = history([{ type: 'RetryStageExecution', data: { stageName: 'Build', retryMode: 'FAILED_ACTIONS', latestExecutionIdOfStage: EXECUTION_ID, now: at(6) } }, enter('Build', at(7))], r);
  r = history([complete(r, 'Build', 'Compile', at(8))], r);
  r = history([complete(r, 'Build', 'Package', at(9))], r);

  const retrying = pipeline([{ name: 'Build', actions: [build('Compile', 1, { retryPolicy: { maxAttempts: 2, backoffSeconds: 30 } }), build('Lint', 1)] }]);
  let s = history([startCommand(retrying), enter('Source', at(1))]);
  s = history([complete(s, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')] }), enter('Build', at(3))], s);
  s = history([fail(s, 'Build', 'Compile', at(4)), { type: 'FireTimer', data: { timerId: 't', payload: { kind: 'RetryBackoff', stageName: 'Build', actionName: 'Compile', attempt: 2 }, now: at(34) } }], s);
  s = history([{ type: 'StopPipelineExecution', data: { abandon: true, reason: 'bad commit', now: at(40) } }], s);

  return { 'approved-with-variables': a, 'failed-actions-retried': r, 'retried-then-abandoned': s };
}

export function record(write: (name: string, content: string) => void): void {
  for (const [name, events] of Object.entries(scenarios())) {
    write(name, JSON.stringify({ events, state: fold(executionDecider, events) }, null, 2) + '\n');
  }
}

if (require.main === module) {
  const fs = require('node:fs') as { writeFileSync(path: string, data: string): void };
  record((name, content) => fs.writeFileSync(`${__dirname}/${name}.json`, content));
}
