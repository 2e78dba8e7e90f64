import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uniqueName, workspaceRoot } from '@pipewright/testing';

jest.setTimeout(90_000);

describe('trace context across Kafka in a real process', () => {
  it('runs the handler inside the trace of the publisher, with startTelemetry and the kafkajs instrumentation', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', '@pipewright/ts-register', join(__dirname, 'fixtures/traced-round-trip.ts'), uniqueName('traced'), uniqueName('traced')],
      { cwd: workspaceRoot, env: { ...process.env, LOG_LEVEL: 'warn' }, timeout: 60_000 },
    );
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line).toBeDefined();
    const result = JSON.parse((line as string).slice('RESULT '.length));
    expect(result.producerTraceId).toMatch(/^[0-9a-f]{32}$/);
    expect(result.handlerTraceId).toBe(result.producerTraceId);
    // A local span (the instrumentation's consumer span) is active, not just the remote parent.
    expect(result.handlerSpanRecording).toBe(true);
  });
});
