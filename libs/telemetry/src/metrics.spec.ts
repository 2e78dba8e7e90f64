import { freePort } from '@pipewright/testing';
import { counter, histogram, METRICS, metricSeriesNames, observeGauge, prometheusSeriesNames, serviceMetricsEnv } from './metrics';
import { startTelemetry } from './sdk';

describe('the metric catalog', () => {
  it('names every metric pipewright_* in Prometheus style, once', () => {
    const names = Object.values(METRICS).map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^pipewright_[a-z_]+$/);
    expect(metricSeriesNames()).toContain('pipewright_pipeline_executions_total');
    expect(prometheusSeriesNames(METRICS.actionDuration)).toEqual([
      'pipewright_action_duration_seconds_bucket',
      'pipewright_action_duration_seconds_sum',
      'pipewright_action_duration_seconds_count',
    ]);
  });

  it("gives a service its own metrics port when PIPEWRIGHT_<SERVICE>_METRICS_PORT is set", () => {
    expect(serviceMetricsEnv('job-worker', { PIPEWRIGHT_JOB_WORKER_METRICS_PORT: '9464', PIPEWRIGHT_METRICS_PORT: '1' }).PIPEWRIGHT_METRICS_PORT).toBe('9464');
    expect(serviceMetricsEnv('artifact', { PIPEWRIGHT_METRICS_PORT: '1' }).PIPEWRIGHT_METRICS_PORT).toBe('1');
  });
});

describe('given telemetry serving /metrics', () => {
  it('when instruments record, then the scrape shows the catalog names with their labels', async () => {
    const port = await freePort();
    const shutdown = startTelemetry({ serviceName: 'metrics-spec', env: { PIPEWRIGHT_METRICS_PORT: String(port), PIPEWRIGHT_METRICS_HOST: '127.0.0.1' } });
    try {
      counter('pipelineExecutions').add(1, { pipeline: 'release', status: 'Started' });
      counter('pipelineExecutions').add(2, { pipeline: 'release', status: 'Started' });
      histogram('actionDuration').record(3, { provider: 'Shell', category: 'Build', status: 'Succeeded' });
      observeGauge('outboxPending', async () => [{ value: 7, labels: { relay: 'orchestrator' } }]);
      observeGauge('consumerLag', async () => {
        throw new Error('broker away');
      });

      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(text).toMatch(/^pipewright_pipeline_executions_total\{[^}]*pipeline="release",status="Started"[^}]*\} 3$/m);
      expect(text).toMatch(/^pipewright_action_duration_seconds_bucket\{[^}]*provider="Shell"[^}]*le="5"\} 1$/m);
      expect(text).toMatch(/^pipewright_action_duration_seconds_count\{[^}]*category="Build"[^}]*\} 1$/m);
      expect(text).toMatch(/^pipewright_outbox_pending_messages\{[^}]*relay="orchestrator"[^}]*\} 7$/m);
    } finally {
      await shutdown();
    }
  });
});
