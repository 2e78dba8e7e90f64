import { executionV1 } from '@pipewright/contracts';
import { CloudEvent, MalformedMessage } from '@pipewright/messaging';
import { readExecutionEvent } from './execution-event';

const time = new Date('2026-01-01T00:00:00.000Z');
const cloudEvent = (type: string, data: Uint8Array, datacontenttype = 'application/protobuf'): CloudEvent => ({ id: 'e-1', type, source: '/pipewright/orchestrator', time, subject: 'web', datacontenttype, data });

describe('readExecutionEvent', () => {
  it('reads a stage change in protobuf and gives its CodePipeline event type id', () => {
    const data = executionV1.StageExecutionStateChange.encode(executionV1.StageExecutionStateChange.fromPartial({ pipeline: 'web', executionId: 'x-1', stage: 'Build', state: 'FAILED' })).finish();
    expect(readExecutionEvent(cloudEvent('pipewright.execution.v1.StageExecutionStateChange', data))).toMatchObject({
      eventTypeId: 'codepipeline-pipeline-stage-execution-failed',
      pipeline: 'web',
      executionId: 'x-1',
      stage: 'Build',
      state: 'FAILED',
      data: { pipeline: 'web', executionId: 'x-1', stage: 'Build', state: 'FAILED' },
    });
  });

  it('reads the JSON option the same way', () => {
    const json = Buffer.from(JSON.stringify({ pipeline: 'web', executionId: 'x-1', state: 'NEEDED', stage: 'Approve', action: 'Release' }));
    expect(readExecutionEvent(cloudEvent('pipewright.execution.v1.ApprovalStateChange', json, 'application/json'))?.eventTypeId).toBe('codepipeline-pipeline-manual-approval-needed');
  });

  it('gives states no rule can select an empty id', () => {
    const data = executionV1.PipelineExecutionStateChange.encode(executionV1.PipelineExecutionStateChange.fromPartial({ pipeline: 'web', executionId: 'x-1', state: 'STOPPING' })).finish();
    expect(readExecutionEvent(cloudEvent('pipewright.execution.v1.PipelineExecutionStateChange', data))?.eventTypeId).toBe('');
  });

  it('skips types it does not know and refuses malformed data', () => {
    expect(readExecutionEvent(cloudEvent('pipewright.execution.v2.Something', new Uint8Array()))).toBeUndefined();
    expect(() => readExecutionEvent(cloudEvent('pipewright.execution.v1.StageExecutionStateChange', Buffer.from('{nope'), 'application/json'))).toThrow(MalformedMessage);
    expect(() => readExecutionEvent(cloudEvent('pipewright.execution.v1.StageExecutionStateChange', new Uint8Array()))).toThrow(MalformedMessage);
  });
});
