import { Server, ServerCredentials, type ServiceDefinition, type handleUnaryCall } from '@grpc/grpc-js';
import { freePort } from '@pipewright/testing';

/** OTLP's span kinds (opentelemetry.proto.trace.v1.Span.SpanKind). */
export const SpanKinds = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** A received span, flattened: ids in hex, attributes as strings, the exporting service's name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string>;
  links: { traceId: string; spanId: string }[];
}

// The OTLP protobuf messages as the OpenTelemetry exporters themselves encode them (protobufjs,
// generated from opentelemetry-proto), so this receiver decodes exactly what the services send.
const otlp = require('@opentelemetry/otlp-transformer/build/src/generated/root').opentelemetry.proto;
const ExportRequest = otlp.collector.trace.v1.ExportTraceServiceRequest;

interface AnyValue {
  stringValue?: string;
  intValue?: number | { toString(): string };
  boolValue?: boolean;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}

const hex = (bytes: Uint8Array | undefined) => (bytes && bytes.length ? Buffer.from(bytes).toString('hex') : '');
const text = (value: AnyValue | undefined) => {
  if (!value) return '';
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.intValue !== undefined && value.intValue !== null) return value.intValue.toString();
  if (value.boolValue !== undefined && value.boolValue !== null) return String(value.boolValue);
  if (value.doubleValue !== undefined && value.doubleValue !== null) return String(value.doubleValue);
  return '';
};
const attributes = (list: KeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, text(kv.value)]));

/**
 * A minimal OpenTelemetry collector: opentelemetry.proto.collector.trace.v1.TraceService/Export over
 * gRPC, the protocol the services' OTLPTraceExporter speaks; it keeps every span it is sent.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private readonly server = new Server();

  private constructor(readonly endpoint: string) {}

  static async start(): Promise<OtlpReceiver> {
    const port = await freePort();
    const receiver = new OtlpReceiver(`http://127.0.0.1:${port}`);
    const definition: ServiceDefinition = {
      Export: {
        path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        requestStream: false,
        responseStream: false,
        requestSerialize: (message: unknown) => Buffer.from(ExportRequest.encode(message).finish()),
        requestDeserialize: (bytes: Buffer) => ExportRequest.decode(bytes),
        // An empty ExportTraceServiceResponse: full success.
        responseSerialize: () => Buffer.alloc(0),
        responseDeserialize: () => ({}),
      },
    };
    const exportSpans: handleUnaryCall<any, unknown> = (call, callback) => {
      receiver.collect(call.request);
      callback(null, {});
    };
    receiver.server.addService(definition, { Export: exportSpans });
    await new Promise<void>((resolve, reject) => receiver.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
    return receiver;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }

  private collect(request: any): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      const service = attributes(resourceSpans.resource?.attributes)['service.name'] ?? '';
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            service,
            traceId: hex(span.traceId),
            spanId: hex(span.spanId),
            parentSpanId: hex(span.parentSpanId),
            name: span.name,
            kind: span.kind,
            attributes: attributes(span.attributes),
            links: (span.links ?? []).map((link: any) => ({ traceId: hex(link.traceId), spanId: hex(link.spanId) })),
          });
        }
      }
    }
  }
}
