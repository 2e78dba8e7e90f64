export { openEventStore, EventStore, type EventStoreOptions } from './store';
export { EventStoreTransaction } from './transaction';
export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';
export { KafkaOutboxPublisher } from './kafka-publisher';
export { ProjectionRunner, type Projection, type ProjectionRunnerOptions } from './projections';
export { eventStoreMigrations } from './migrations';
export { StreamVersionConflict, EventTooLarge, UnknownEventType, DuplicateEventId, PostgresUnreachable, isDeadlock } from './errors';
export * from './types';
