import { context, propagation, trace } from '@opentelemetry/api';
import { createLogger } from './logger';
import { startTelemetry } from './sdk';
import { freePort } from '@pipewright/testing';

describe('startTelemetry', () => {
  it('records spans, propagates W3C trace context, serves Prometheus metrics, and shuts down', async () => {
    const port = await freePort();
    const shutdown = startTelemetry({ serviceName: 'sdk-spec', env: { PIPEWRIGHT_METRICS_PORT: String(port), PIPEWRIGHT_METRICS_HOST: '127.0.0.1' } });
    try {
      expect(startTelemetry({ serviceName: 'again' })).toBe(shutdown);
      let written = '';
      const logger = createLogger('sdk-spec', { destination: { write: (chunk: string) => void (written += chunk) } });
      const carrier: Record<string, string> = {};
      const spanContext = trace.getTracer('sdk-spec').startActiveSpan('work', (span) => {
        expect(span.isRecording()).toBe(true);
        logger.info('inside');
        propagation.inject(context.active(), carrier);
        span.end();
        return span.spanContext();
      });
      expect(carrier.traceparent).toBe(`00-${spanContext.traceId}-${spanContext.spanId}-01`);
      expect(JSON.parse(written)).toMatchObject({ trace_id: spanContext.traceId, span_id: spanContext.spanId });

      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
    } finally {
      await shutdown();
    }
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('rejects a metrics port that is not a number', () => {
    expect(() => startTelemetry({ serviceName: 'bad', env: { PIPEWRIGHT_METRICS_PORT: 'ninety' } })).toThrow(/PIPEWRIGHT_METRICS_PORT/);
  });
});
