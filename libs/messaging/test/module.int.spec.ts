import { NestFactory } from '@nestjs/core';
import { testEnv, uniqueName } from '@pipewright/testing';
import { createLogger } from '@pipewright/telemetry';
import { headerString } from '../src/cloudevents';
import { KafkaUnreachable, MessagingNotRunning } from '../src/errors';
import { KafkaMessaging } from '../src/kafka-messaging';
import { MessagingModule } from '../src/messaging.module';
import type { ReceivedEvent } from '../src/subscription';
import { eventually, sampleEvent } from './support';

jest.setTimeout(60_000);

const silent = createLogger('messaging-module-test', { level: 'silent' });

describe('MessagingModule', () => {
  it('provides a started KafkaMessaging to a Nest application and closes it with the application', async () => {
    const topic = uniqueName('nest');
    const app = await NestFactory.createApplicationContext(
      MessagingModule.forRoot({ clientId: uniqueName('nest'), brokers: testEnv().kafkaBrokers, topics: [{ name: topic, partitions: 2 }], logger: silent }),
      { logger: false },
    );
    const messaging = app.get(KafkaMessaging);
    const received: ReceivedEvent[] = [];
    await messaging.subscribe({ groupId: uniqueName('nest'), topics: [topic], handler: async (message) => void received.push(message) });
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'from-nest') });
    await eventually(() => received.length === 1, 'the event');
    expect(received[0].key).toBe('release');
    // No OpenTelemetry SDK in this test: trace propagation is a no-op, not an error.
    expect(headerString(received[0].headers, 'traceparent')).toBeUndefined();

    await app.close();
    await expect(messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'late') })).rejects.toThrow(MessagingNotRunning);
  });

  it('forRootAsync: bootstrap fails with a clear error when Kafka is unreachable', async () => {
    const bootstrap = NestFactory.createApplicationContext(
      MessagingModule.forRootAsync({
        useFactory: () => ({ clientId: 'unreachable', brokers: ['127.0.0.1:1'], logger: silent, connect: { deadlineMs: 300, initialBackoffMs: 100 } }),
      }),
      { logger: false, abortOnError: false },
    );
    await expect(bootstrap).rejects.toThrow(KafkaUnreachable);
    await expect(bootstrap).rejects.toThrow(/Kafka unreachable at 127\.0\.0\.1:1/);
  });
});
