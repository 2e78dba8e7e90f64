import { ClaimedDelivery } from '../deliveries/delivery';
import { chatMessage, emailMessage, notificationBody } from './payloads';

const delivery = (detailType: 'BASIC' | 'FULL'): ClaimedDelivery => ({
  deliveryId: 'd-1',
  seq: '1',
  ruleName: 'deploys',
  target: { type: 'webhook', address: 'https://hooks.example.com/x', secretRef: '' },
  detailType,
  eventId: 'e-1',
  eventTypeId: 'codepipeline-pipeline-stage-execution-failed',
  pipeline: 'web <prod>',
  executionId: 'x-1',
  status: 'Pending',
  attempts: 1,
  created: new Date('2026-01-01T00:00:00Z'),
  lastAttemptAt: null,
  nextAttemptAt: null,
  lastError: '',
  lastResponseCode: 0,
  event: {
    position: '7',
    eventId: 'e-1',
    eventType: 'pipewright.execution.v1.StageExecutionStateChange',
    eventTypeId: 'codepipeline-pipeline-stage-execution-failed',
    pipeline: 'web <prod>',
    executionId: 'x-1',
    time: new Date('2026-01-01T00:00:00Z'),
    data: { pipeline: 'web <prod>', executionId: 'x-1', stage: 'Build', state: 'FAILED', summary: 'make: *** [all] Error 2', error: { code: 'JobFailed', message: 'secret-ish' } },
  },
});

describe('payloads', () => {
  it('FULL carries the whole event; BASIC only where and what', () => {
    expect(notificationBody(delivery('FULL')).detail).toEqual(delivery('FULL').event.data);
    expect(notificationBody(delivery('BASIC'))).toMatchObject({
      deliveryId: 'd-1',
      detailType: 'CodePipeline Stage Execution State Change',
      detail: { pipeline: 'web <prod>', executionId: 'x-1', stage: 'Build', state: 'FAILED' },
    });
    expect(notificationBody(delivery('BASIC')).detail).not.toHaveProperty('error');
  });

  it('a chat message names pipeline, stage and status (escaped for mrkdwn), and links to the execution', () => {
    const message = chatMessage(delivery('FULL'), 'https://console.example.com') as { text: string; blocks: { fields?: { text: string }[] }[] };
    expect(message.text).toBe('Pipeline web &lt;prod&gt;: stage Build FAILED <https://console.example.com/pipelines/web%20%3Cprod%3E/executions/x-1|View execution>');
    expect(message.blocks.flatMap((b) => b.fields ?? []).map((f) => f.text)).toEqual([
      '*Pipeline:* web &lt;prod&gt;',
      '*Stage:* Build',
      '*Status:* FAILED',
      '*Execution:* x-1',
    ]);
  });

  it('an email escapes what it puts in HTML', () => {
    const mail = emailMessage(delivery('FULL'), 'https://console.example.com');
    expect(mail.subject).toBe('[Pipewright] Pipeline web <prod>: stage Build FAILED');
    expect(mail.text).toContain('Summary: make: *** [all] Error 2');
    expect(mail.html).toContain('web &#60;prod&#62;');
    expect(mail.html).not.toContain('<prod>');
  });
});
