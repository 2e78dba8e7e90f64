import { uniqueName } from '@pipewright/testing';
import type { KafkaMessaging } from '../src/kafka-messaging';
import type { ReceivedEvent, Subscription } from '../src/subscription';
import { admin, collectingLogger, eventually, newMessaging, sampleEvent } from './support';

jest.setTimeout(180_000);

describe('a subscription whose consumer kafkajs gives up on', () => {
  let messaging: KafkaMessaging;
  let subscription: Subscription | undefined;
  afterEach(async () => {
    await subscription?.close();
    await messaging.close();
  });

  it('joins its group again and consumes what is published after the crash', async () => {
    const topic = uniqueName('topic');
    const { logger, lines } = collectingLogger();
    // kafkajs restarts a consumer by itself only after retriable crashes, and asks restartOnFailure
    // first: answering no makes the topic's deletion below a crash kafkajs gives up on.
    messaging = newMessaging({ topics: [{ name: topic, partitions: 1 }], logger, retry: { restartOnFailure: async () => false } });
    await messaging.start();
    const received: ReceivedEvent[] = [];
    subscription = await messaging.subscribe({ groupId: uniqueName('group'), topics: [topic], handler: async (message) => void received.push(message) });
    await messaging.publish(topic, { key: 'k', event: sampleEvent('k', 'before') });
    await eventually(() => received.length === 1, 'the first event');

    const kafkaAdmin = admin();
    await kafkaAdmin.connect();
    try {
      await kafkaAdmin.deleteTopics({ topics: [topic] });
      await eventually(() => lines().some((l) => String(l.msg).includes('crashed') && l.restart === false), 'a crash kafkajs does not restart from', 60_000);
      await kafkaAdmin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await kafkaAdmin.disconnect();
    }
    await eventually(() => lines().some((l) => String(l.msg).includes('replaced:')), 'the restart', 90_000);
    await messaging.publish(topic, { key: 'k', event: sampleEvent('k', 'after') });
    await eventually(() => received.length === 2, 'the event published after the restart', 60_000);
    expect(received.map((r) => Buffer.from(r.event.data).toString())).toEqual(['before', 'after']);
  });
});
