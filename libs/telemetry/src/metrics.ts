import { metrics, type Attributes, type Counter, type Histogram, type Meter, type ObservableGauge, type ObservableResult } from '@opentelemetry/api';

/**
 * Every metric Pipewright registers, in one place: the code creates its instruments from this
 * catalog and the Grafana dashboard's test checks its queries against it. Served for Prometheus on
 * PIPEWRIGHT_METRICS_PORT (see startTelemetry); documented in docs/operations.md ("Metrics").
 */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDefinition {
  /** The OpenTelemetry instrument name; Prometheus adds `_total` to counters. */
  name: string;
  kind: MetricKind;
  unit: string;
  description: string;
  labels: readonly string[];
  /** The services that record it. */
  services: readonly string[];
  /** Histogram bucket boundaries, in the metric's unit. */
  buckets?: readonly number[];
}

const ALL_SERVICES = ['pipeline-definition', 'orchestrator', 'artifact', 'job-worker', 'notification'] as const;
const SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export const METRICS = {
  pipelineExecutions: {
    name: 'pipewright_pipeline_executions',
    kind: 'counter',
    unit: '{execution}',
    description: 'Pipeline executions by pipeline and status: Started, then one of Succeeded, Failed, Stopped, Superseded; counted once per recorded event',
    labels: ['pipeline', 'status'],
    services: ['orchestrator'],
  },
  actionDuration: {
    name: 'pipewright_action_duration_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time from an action attempt starting (job requested, approval requested) to its end, by provider, category and status',
    labels: ['provider', 'category', 'status'],
    services: ['orchestrator'],
    buckets: SECONDS_BUCKETS,
  },
  jobDispatchLatency: {
    name: 'pipewright_job_dispatch_latency_seconds',
    kind: 'histogram',
    unit: 's',
    description: 'Time from a job being requested to a worker acknowledging it, by provider and category',
    labels: ['provider', 'category'],
    services: ['orchestrator'],
    buckets: SECONDS_BUCKETS,
  },
  consumerLag: {
    name: 'pipewright_consumer_lag',
    kind: 'gauge',
    unit: '{message}',
    description: "Messages of a partition not yet committed by the service's consumer group (end offset - committed offset)",
    labels: ['group', 'topic', 'partition'],
    services: ALL_SERVICES,
  },
  outboxPending: {
    name: 'pipewright_outbox_pending_messages',
    kind: 'gauge',
    unit: '{message}',
    description: 'Outbox rows the relay has not published yet',
    labels: ['relay'],
    services: ALL_SERVICES,
  },
  outboxOldestAge: {
    name: 'pipewright_outbox_oldest_pending_age_seconds',
    kind: 'gauge',
    unit: 's',
    description: 'Age of the oldest outbox row not published yet; 0 when none waits',
    labels: ['relay'],
    services: ALL_SERVICES,
  },
  artifactBytes: {
    name: 'pipewright_artifact_bytes',
    kind: 'counter',
    unit: 'By',
    description: 'Artifact content bytes stored (direction="in", uploads) and served (direction="out", downloads)',
    labels: ['direction'],
    services: ['artifact'],
  },
  artifactReseals: {
    name: 'pipewright_artifact_reseals',
    kind: 'counter',
    unit: '{blob}',
    description: 'Blobs a reseal pass went through (after a key rotation), by outcome: resealed (stored again with the current key), current (stored so already), failed (left as they were)',
    labels: ['outcome'],
    services: ['artifact'],
  },
  notificationDeliveries: {
    name: 'pipewright_notification_deliveries',
    kind: 'counter',
    unit: '{delivery}',
    description: 'Notification deliveries that reached their target (outcome="delivered") or were given up (outcome="failed"), by target type',
    labels: ['target_type', 'outcome'],
    services: ['notification'],
  },
  notificationDeliveryAttemptFailures: {
    name: 'pipewright_notification_delivery_attempt_failures',
    kind: 'counter',
    unit: '{attempt}',
    description: 'Notification delivery attempts that failed (each retried attempt counts), by target type',
    labels: ['target_type'],
    services: ['notification'],
  },
  jobRuns: {
    name: 'pipewright_job_runs',
    kind: 'counter',
    unit: '{job}',
    description: 'Jobs a job worker ran to an end, by provider and outcome (Succeeded, Failed)',
    labels: ['provider', 'outcome'],
    services: ['job-worker'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricKey = keyof typeof METRICS;

/** The series names a metric shows on /metrics (what PromQL queries name). */
export function prometheusSeriesNames(definition: MetricDefinition): string[] {
  switch (definition.kind) {
    case 'counter':
      return [definition.name.endsWith('_total') ? definition.name : `${definition.name}_total`];
    case 'histogram':
      return [`${definition.name}_bucket`, `${definition.name}_sum`, `${definition.name}_count`];
    case 'gauge':
      return [definition.name];
  }
}

/** Every series name Pipewright's code can expose. */
export function metricSeriesNames(): string[] {
  return Object.values(METRICS).flatMap((definition) => prometheusSeriesNames(definition));
}

const METER_NAME = 'pipewright';

/**
 * The process's meter. Instruments are made on first use, after startTelemetry installed the
 * meter provider (the global API hands out no-op meters before that, and never upgrades them).
 */
function meter(): Meter {
  return metrics.getMeter(METER_NAME);
}

const instruments = new Map<string, Counter | Histogram | ObservableGauge>();

function instrument<T extends Counter | Histogram | ObservableGauge>(key: MetricKey, make: (m: Meter, d: MetricDefinition) => T): T {
  let found = instruments.get(key) as T | undefined;
  if (!found) {
    found = make(meter(), METRICS[key]);
    instruments.set(key, found);
  }
  return found;
}

type KeysOfKind<K extends MetricKind> = { [P in MetricKey]: (typeof METRICS)[P]['kind'] extends K ? P : never }[MetricKey];
type LabelsOf<P extends MetricKey> = Record<(typeof METRICS)[P]['labels'][number], string>;

export function counter<P extends KeysOfKind<'counter'>>(key: P): { add(value: number, labels: LabelsOf<P>): void } {
  return instrument(key, (m, d) => m.createCounter(d.name, { unit: d.unit, description: d.description }));
}

export function histogram<P extends KeysOfKind<'histogram'>>(key: P): { record(value: number, labels: LabelsOf<P>): void } {
  return instrument(key, (m, d) =>
    m.createHistogram(d.name, { unit: d.unit, description: d.description, advice: d.buckets ? { explicitBucketBoundaries: [...d.buckets] } : undefined }),
  );
}

/**
 * Adds a source of readings to a gauge, read asynchronously at each scrape. The callback may query
 * a broker or database; a failing one reports nothing that scrape. Returns how to remove it.
 */
export function observeGauge<P extends KeysOfKind<'gauge'>>(key: P, read: () => Promise<{ value: number; labels: LabelsOf<P> }[]>): () => void {
  const gauge = instrument(key, (m, d) => m.createObservableGauge(d.name, { unit: d.unit, description: d.description }));
  const callback = async (result: ObservableResult<Attributes>) => {
    const readings = await read().catch(() => []);
    for (const { value, labels } of readings) result.observe(value, labels);
  };
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}

/**
 * The environment startTelemetry reads, with this service's metrics port: PIPEWRIGHT_<SERVICE>_METRICS_PORT
 * (e.g. PIPEWRIGHT_JOB_WORKER_METRICS_PORT) when set, so services sharing one environment (npm start,
 * one compose file) each get theirs; else PIPEWRIGHT_METRICS_PORT.
 */
export function serviceMetricsEnv(serviceName: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const own = env[`PIPEWRIGHT_${serviceName.toUpperCase().replace(/-/g, '_')}_METRICS_PORT`];
  return own ? { ...env, PIPEWRIGHT_METRICS_PORT: own } : env;
}
