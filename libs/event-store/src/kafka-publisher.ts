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

  async publish(batch: OutboxMessage[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const message of batch) {
      let messages = byTopic.get(message.topic);
      if (!messages) byTopic.set(message.topic, (messages = []));
      messages.push({ key: message.key, value: message.value, headers: message.headers });
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}
