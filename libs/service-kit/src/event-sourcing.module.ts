import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventStore, KafkaOutboxPublisher, NewOutboxMessage, openEventStore, OutboxRelay } from '@pipewright/event-store';
import { CloudEvent, encodeCloudEvent, KafkaMessaging, topicCatalog, traceHeaders } from '@pipewright/messaging';
import { Kafka, logLevel } from 'kafkajs';
import { databaseUrl, intEnv, kafkaBrokers, ServiceName } from './config';
import { HealthRegistry } from './health';
import { observeInfrastructure } from './infrastructure-metrics';
import { kafkaCheck, postgresCheck, ReadinessProbe } from './readiness';

export interface EventSourcingOptions {
  service: ServiceName;
  /** The PostgreSQL schema this service owns: its log, outbox, inbox and read models. */
  schema: string;
  /** Known event types of the log; reading another one is an error. */
  eventTypes?: readonly string[];
}

export const EVENT_SOURCING_OPTIONS = Symbol('EVENT_SOURCING_OPTIONS');

/**
 * Owns the connections a service's infrastructure needs and their order: PostgreSQL (event store,
 * migrated on start), Kafka (topics created on start), and the outbox relay between them. Each
 * dependency reports its health; an unreachable one is retried with backoff and named in the logs.
 */
@Injectable()
export class ServiceInfrastructure implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('infrastructure');
  private storePromise?: Promise<EventStore>;
  private relay?: OutboxRelay;
  private publisher?: KafkaOutboxPublisher;
  private stopObserving?: () => void;
  private readiness?: ReadinessProbe;
  readonly messaging: KafkaMessaging;

  constructor(
    @Inject(EVENT_SOURCING_OPTIONS) private readonly options: EventSourcingOptions,
    private readonly health: HealthRegistry,
  ) {
    this.messaging = new KafkaMessaging({
      clientId: `pipewright-${options.service}`,
      brokers: kafkaBrokers(),
      topics: topicCatalog(),
      connect: { deadlineMs: intEnv('PIPEWRIGHT_START_DEADLINE_MS', 120_000) },
    });
    health.set('postgres', 'NOT_SERVING');
    health.set('kafka', 'NOT_SERVING');
  }

  /** The event store, once PostgreSQL answers and the migrations ran. */
  store(): Promise<EventStore> {
    this.storePromise ??= openEventStore({
      url: databaseUrl(),
      schema: this.options.schema,
      eventTypes: this.options.eventTypes,
      startDeadlineMs: intEnv('PIPEWRIGHT_START_DEADLINE_MS', 120_000),
      applicationName: `pipewright-${this.options.service}`,
    }).then((store) => {
      this.health.set('postgres', 'SERVING');
      return store;
    });
    return this.storePromise;
  }

  async onApplicationBootstrap(): Promise<void> {
    const [store] = await Promise.all([this.store(), this.messaging.start()]);
    this.health.set('kafka', 'SERVING');
    this.publisher = new KafkaOutboxPublisher(new Kafka({ clientId: `pipewright-${this.options.service}-outbox`, brokers: kafkaBrokers(), logLevel: logLevel.WARN }));
    await this.publisher.connect();
    this.relay = new OutboxRelay(store, this.publisher, { name: this.options.service });
    this.relay.start();
    this.stopObserving = observeInfrastructure(this.messaging, this.relay, this.options.service);
    // From here on, readiness follows whether PostgreSQL and Kafka answer (docs/operations.md, Health).
    this.readiness = new ReadinessProbe(this.health, [postgresCheck(databaseUrl()), kafkaCheck(kafkaBrokers())], {
      intervalMs: intEnv('PIPEWRIGHT_READINESS_INTERVAL_MS', 5_000),
      timeoutMs: intEnv('PIPEWRIGHT_READINESS_TIMEOUT_MS', 5_000),
      failureThreshold: Math.max(1, intEnv('PIPEWRIGHT_READINESS_FAILURES', 2)),
      logger: this.logger,
    });
    this.readiness.start();
    this.logger.log(`event store (schema ${this.options.schema}) and Kafka ready; outbox relay running`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopObserving?.();
    await this.readiness?.stop();
    this.health.set('postgres', 'NOT_SERVING');
    this.health.set('kafka', 'NOT_SERVING');
    await this.relay?.stop();
    await this.publisher?.disconnect();
    await this.messaging.close();
    const store = await this.storePromise?.catch(() => undefined);
    await store?.close();
  }
}

@Global()
@Module({})
export class EventSourcingModule {
  static forService(options: EventSourcingOptions): DynamicModule {
    return {
      module: EventSourcingModule,
      providers: [{ provide: EVENT_SOURCING_OPTIONS, useValue: options }, ServiceInfrastructure],
      exports: [ServiceInfrastructure],
    };
  }
}

/**
 * A CloudEvent as an outbox row: binary-mode headers, keyed by pipeline so its events stay in order,
 * with the trace context of the work that wrote it, so consumers continue the same trace.
 */
export function outboxMessage(topic: string, key: string, event: CloudEvent): NewOutboxMessage {
  const { value, headers } = encodeCloudEvent(event);
  return { topic, key, value, headers: { ...headers, ...traceHeaders() } };
}
