import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { testEnv, uniqueName } from '@pipewright/testing';
import type { KafkaMessaging } from '../src/kafka-messaging';
import type { ReceivedEvent, Subscription } from '../src/subscription';
import { collectingLogger, eventually, newMessaging, sampleEvent } from './support';

jest.setTimeout(240_000);

/** A plain kafkajs member of `groupId` in its own process, with a 60 s session: SIGSTOP freezes it inside the group. */
const MEMBER = `
const { Kafka, logLevel } = require('kafkajs');
const [brokers, topic, groupId] = process.argv.slice(1);
const consumer = new Kafka({ clientId: 'frozen-member', brokers: brokers.split(','), logLevel: logLevel.NOTHING })
  .consumer({ groupId, sessionTimeout: 60000, rebalanceTimeout: 60000, heartbeatInterval: 3000 });
consumer.on(consumer.events.GROUP_JOIN, () => process.stdout.write('joined\\n'));
consumer.connect().then(() => consumer.subscribe({ topics: [topic] })).then(() => consumer.run({ eachMessage: async () => {} }));
`;

describe('a subscription whose group waits on an unresponsive member', () => {
  let messaging: KafkaMessaging;
  let subscription: Subscription | undefined;
  let member: ChildProcess | undefined;
  afterEach(async () => {
    member?.kill('SIGKILL');
    await subscription?.close();
    await messaging.close();
  });

  it('starts the service anyway, replaces a consumer kafkajs has not started in time, and consumes once the group lets it in', async () => {
    const topic = uniqueName('topic');
    const groupId = uniqueName('group');
    const { logger, lines } = collectingLogger();
    messaging = newMessaging({ topics: [{ name: topic, partitions: 1 }], logger });
    await messaging.start();
    member = spawn(process.execPath, ['-e', MEMBER, testEnv().kafkaBrokers.join(','), topic, groupId], { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] });
    await once(member.stdout!, 'data');
    member.kill('SIGSTOP');

    const received: ReceivedEvent[] = [];
    const started = Date.now();
    subscription = await messaging.subscribe({ groupId, topics: [topic], fromBeginning: true, handler: async (message) => void received.push(message) });
    // The join waits for the frozen member's rebalance timeout (60 s); subscribe gives up waiting before that.
    expect(Date.now() - started).toBeLessThan(50_000);
    expect(lines().some((l) => String(l.msg).includes('did not start in time'))).toBe(true);

    await messaging.publish(topic, { key: 'k', event: sampleEvent('k', 'through') });
    await eventually(() => received.length === 1, 'the event, once the frozen member is out of the group', 150_000);
    expect(lines().some((l) => String(l.msg).includes('replaced:'))).toBe(true);
  });
});
