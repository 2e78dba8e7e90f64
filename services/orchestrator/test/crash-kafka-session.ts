/**
 * Preloaded (NODE_OPTIONS) into the orchestrator processes of the crash test, and nowhere else.
 * A SIGKILLed consumer never leaves its group: the broker waits for its session to expire (kafkajs'
 * default 30 s) before the restarted member gets partitions, so ten kills would take five minutes
 * of waiting. The broker's minimum session (6 s) keeps the test about recovery, not about waiting.
 * Nothing else changes: same groups, same offsets, same handlers.
 */
import { Kafka } from 'kafkajs';

const consumer = Kafka.prototype.consumer;
Kafka.prototype.consumer = function (this: Kafka, config) {
  return consumer.call(this, { sessionTimeout: 6_000, heartbeatInterval: 1_000, ...config });
};
