import { SpanKind, trace, type Span } from '@opentelemetry/api';
import { contextFromTraceHeaders, failSpan, traceHeadersOf, tracer, untraced } from '@pipewright/telemetry';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { OutboxMessage, OutboxPublisher } from './types';

/**
 * The outbox relay's Kafka adapter. Idempotent producer, one request in flight and acks from all
 * in-sync replicas: retries neither duplicate nor reorder a partition's messages within a session.
 * Messages keep their outbox key, so one key (stream) stays on one partition, in order.
 */
export class KafkaOutboxPublisher implements OutboxPublisher {
  private readonly producer: Producer;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /**
   * Each message gets its own producer span, a child of the trace context its outbox row was written
   * with, and carries that span's context to its consumers; kafkajs's own producer spans are silenced
   * here, since they would start from the relay's context (none) and replace the stored one.
   */
  async publish(batch: OutboxMessage[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const spans: Span[] = [];
    for (const message of batch) {
      let messages = byTopic.get(message.topic);
      if (!messages) byTopic.set(message.topic, (messages = []));
      const { headers, span } = producerSpan(message);
      if (span) spans.push(span);
      messages.push({ key: message.key, value: message.value, headers });
    }
    try {
      await untraced(() =>
        this.producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        }),
      );
    } catch (error) {
      for (const span of spans) failSpan(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }
}

/** OpenTelemetry's messaging conventions for a Kafka send; a row written untraced stays untraced. */
function producerSpan(message: OutboxMessage): { headers: Record<string, string>; span?: Span } {
  const parent = contextFromTraceHeaders(message.headers);
  if (!trace.getSpanContext(parent)) return { headers: message.headers };
  const span = tracer().startSpan(
    `send ${message.topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': message.topic,
        ...(message.key ? { 'messaging.kafka.message.key': message.key } : {}),
        'pipewright.outbox.position': message.position,
      },
    },
    parent,
  );
  const { traceparent: _traceparent, tracestate: _tracestate, ...rest } = message.headers;
  return { headers: { ...rest, ...traceHeadersOf(trace.setSpan(parent, span)) }, span };
}
