export { Topics, DEFAULT_PARTITIONS, DEAD_LETTER_PARTITIONS, defaultPartitions, topicCatalog, deadLetterTopic, type TopicName, type TopicSpec } from './topics';
export {
  CloudEventHeaders,
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_PROTOBUF,
  SPEC_VERSION,
  decodeCloudEvent,
  encodeCloudEvent,
  headerString,
  jsonData,
  readJsonData,
  type CloudEvent,
  type EncodedCloudEvent,
} from './cloudevents';
export { KafkaUnreachable, MalformedMessage, MessagingNotRunning } from './errors';
export { traceHeaders } from './trace-context';
export { positioned } from './positioned';
export { ensureTopics } from './topic-admin';
export { KafkaMessaging, type MessagingOptions, type OutgoingEvent } from './kafka-messaging';
export { DeadLetterHeaders, type BatchHandler, type EventHandler, type ReceivedEvent, type SubscribeOptions, type Subscription } from './subscription';
export type { ConnectOptions } from './connect';
export type { MessagingLogger } from './logger';
export { MessagingModule, MESSAGING_OPTIONS, type MessagingModuleAsyncOptions } from './messaging.module';
export { consumerLag, type PartitionLag } from './consumer-lag';
