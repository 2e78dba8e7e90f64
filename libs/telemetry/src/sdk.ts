import type { IncomingMessage } from 'node:http';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion?: string;
  /** Read for OTEL_EXPORTER_OTLP_ENDPOINT and PIPEWRIGHT_METRICS_PORT; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export type ShutdownTelemetry = () => Promise<void>;

/** Scrapes and probes would otherwise each start a trace. */
const UNTRACED_PATHS = /^\/(metrics|health|healthz|ready|readyz|live|livez)(\?|$)/;
/** grpc.health.v1 probes, likewise (no Pipewright RPC has these names). */
const UNTRACED_GRPC_METHODS = ['Check', 'Watch'];

let running: ShutdownTelemetry | undefined;

/**
 * Starts OpenTelemetry for this process. Call it first in a service's main, before Nest, gRPC,
 * pg or kafkajs are required, so the instrumentations can patch them (put the call in its own
 * module and import that module on the first line of main.ts).
 *
 * Spans are always recorded (so logs and Kafka headers carry trace ids); they are exported over
 * OTLP/gRPC only when OTEL_EXPORTER_OTLP_ENDPOINT is set. Metrics are served for Prometheus on
 * PIPEWRIGHT_METRICS_PORT (path /metrics) when that is set.
 */
export function startTelemetry(options: TelemetryOptions): ShutdownTelemetry {
  if (running) return running;
  const env = options.env ?? process.env;
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const spanProcessor: SpanProcessor = otlpEndpoint
    ? new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpEndpoint }))
    : new NoopSpanProcessor();
  const metricsPort = parsePort(env.PIPEWRIGHT_METRICS_PORT);

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      ...(options.serviceVersion ? { [ATTR_SERVICE_VERSION]: options.serviceVersion } : {}),
    }),
    serviceName: options.serviceName,
    spanProcessors: [spanProcessor],
    // An empty list keeps the SDK from building an OTLP log exporter from its env defaults.
    logRecordProcessors: [],
    metricReaders: metricsPort === undefined ? undefined : [new PrometheusExporter({ port: metricsPort, host: env.PIPEWRIGHT_METRICS_HOST })],
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? '') }),
      new GrpcInstrumentation({ ignoreGrpcMethods: UNTRACED_GRPC_METHODS }),
      new PgInstrumentation({ requireParentSpan: true }),
      new KafkaJsInstrumentation(),
    ],
  });
  sdk.start();

  const shutdown: ShutdownTelemetry = async () => {
    if (running !== shutdown) return;
    running = undefined;
    await sdk.shutdown();
  };
  running = shutdown;
  return shutdown;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PIPEWRIGHT_METRICS_PORT must be a port number, got "${value}"`);
  }
  return port;
}
