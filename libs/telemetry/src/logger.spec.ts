import { context, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { createLogger, REDACTION_CENSOR } from './logger';

/** A destination that keeps what pino writes, to read the lines back. */
function capture(): { lines: () => Record<string, unknown>[]; raw: () => string; write: (chunk: string) => void } {
  let written = '';
  return {
    write: (chunk: string) => {
      written += chunk;
    },
    raw: () => written,
    lines: () => written.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, service and msg', () => {
    const out = capture();
    const logger = createLogger('pipeline-definition', { destination: out });
    logger.info('first');
    logger.warn({ pipelineName: 'release' }, 'second');

    expect(out.raw().endsWith('\n')).toBe(true);
    const [first, second] = out.lines();
    expect(first).toEqual({ level: 'info', time: expect.any(String), service: 'pipeline-definition', msg: 'first' });
    expect(new Date(first.time as string).toISOString()).toBe(first.time);
    expect(second).toMatchObject({ level: 'warn', service: 'pipeline-definition', pipelineName: 'release', msg: 'second' });
    expect(first).not.toHaveProperty('trace_id');
  });

  describe('inside an active span', () => {
    const provider = new node.NodeTracerProvider();
    beforeAll(() => provider.register());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it('adds trace_id and span_id of that span', () => {
      const out = capture();
      const logger = createLogger('orchestrator', { destination: out });
      const tracer = trace.getTracer('logger-spec');
      const ids = tracer.startActiveSpan('StartPipelineExecution', (span) => {
        logger.info('started');
        span.end();
        return span.spanContext();
      });
      logger.info('after');

      const [inside, after] = out.lines();
      expect(inside).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId, msg: 'started' });
      expect(inside.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(after).not.toHaveProperty('trace_id');
      expect(after).not.toHaveProperty('span_id');
    });
  });

  it('redacts secrets at the top level and nested', () => {
    const out = capture();
    const logger = createLogger('artifact', { destination: out });
    logger.info(
      {
        password: 'hunter2',
        token: 'tok-1',
        request: { headers: { authorization: 'Bearer abc', Authorization: 'Bearer def' }, secret: 's3' },
        webhook: { url: 'https://example.test/hook', webhookSecret: 'whs' },
        user: 'alice',
      },
      'call',
    );
    const raw = out.raw();
    for (const secret of ['hunter2', 'tok-1', 'Bearer abc', 'Bearer def', 's3', 'whs']) {
      expect(raw).not.toContain(secret);
    }
    const [line] = out.lines();
    expect(line).toMatchObject({
      password: REDACTION_CENSOR,
      token: REDACTION_CENSOR,
      request: { headers: { authorization: REDACTION_CENSOR, Authorization: REDACTION_CENSOR }, secret: REDACTION_CENSOR },
      webhook: { url: 'https://example.test/hook', webhookSecret: REDACTION_CENSOR },
      user: 'alice',
    });
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger('job-worker', { destination: out, level: 'warn' });
    logger.info('hidden');
    logger.error('shown');
    expect(out.lines().map((line) => line.msg)).toEqual(['shown']);
  });
});
