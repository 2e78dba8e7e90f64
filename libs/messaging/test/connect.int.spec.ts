import { createServer } from 'node:net';
import { uniqueName } from '@pipewright/testing';
import { KafkaUnreachable, MessagingNotRunning } from '../src/errors';
import { admin, collectingLogger, newMessaging } from './support';

jest.setTimeout(60_000);

/** Waits without setTimeout, so the test's own wait is not counted among the timers it watches. */
function sleepWithoutSetTimeout(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => (clearInterval(timer), resolve()), ms);
  });
}

/** A loopback port where nothing listens. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('KafkaMessaging start', () => {
  it('creates the topics it needs with the asked partition counts, idempotently', async () => {
    const three = uniqueName('topics3');
    const two = uniqueName('topics2');
    const topics = [
      { name: three, partitions: 3 },
      { name: two, partitions: 2 },
    ];
    const first = newMessaging({ topics });
    const second = newMessaging({ topics: [...topics, { name: uniqueName('topics1'), partitions: 1 }] });
    const client = admin();
    try {
      await first.start();
      await first.start();
      await second.start();
      await client.connect();
      const metadata = await client.fetchTopicMetadata({ topics: [three, two] });
      const counts = Object.fromEntries(metadata.topics.map((topic) => [topic.name, topic.partitions.length]));
      expect(counts).toEqual({ [three]: 3, [two]: 2 });
    } finally {
      await Promise.all([first.close(), second.close(), client.disconnect()]);
    }
  });

  it('arms no timers while idle: patches/kafkajs+2.2.4.patch is applied', async () => {
    // Unpatched (kafkajs#1751), every broker connection's request queue re-armed a 1 ms timer forever.
    const messaging = newMessaging({ topics: [{ name: uniqueName('idle'), partitions: 1 }] });
    const client = admin();
    const setTimeoutSpy = jest.spyOn(globalThis, 'setTimeout');
    try {
      await messaging.start();
      await client.connect();
      await client.listTopics();
      setTimeoutSpy.mockClear();
      await sleepWithoutSetTimeout(1_000);
      const delays = setTimeoutSpy.mock.calls.map((call) => call[1]);
      expect(delays.filter((delay) => typeof delay === 'number' && delay < 1)).toEqual([]);
      expect(delays.length).toBeLessThan(20); // unpatched: ~1,700 for these two clients
    } finally {
      setTimeoutSpy.mockRestore();
      await Promise.all([messaging.close(), client.disconnect()]);
    }
  });

  it('while a subscribe waits, warns which step it waits on, and stops once it has returned', async () => {
    const { logger, lines } = collectingLogger();
    const topic = uniqueName('slow-start');
    const messaging = newMessaging({ logger, topics: [{ name: topic, partitions: 1 }] });
    const stillStarting = () => lines().filter((line) => String(line.msg).includes('still starting'));
    try {
      await messaging.start();
      // A new group's join and first (empty, 1 s long-poll) fetch alone outlast 100 ms.
      const subscription = await messaging.subscribe({ groupId: uniqueName('slow-start'), topics: [topic], handler: async () => undefined, stillStartingLogMs: 100 });
      const seen = stillStarting();
      expect(seen.length).toBeGreaterThan(0);
      const phases = ['creating its topics', "committing its start at the topics' ends", 'connecting its consumer', 'subscribing to its topics', 'joining the group (consumer.run)', 'waiting for the first fetch'];
      for (const line of seen) expect(phases).toContain(line.waitingOn);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(stillStarting()).toHaveLength(seen.length);
      await subscription.close();
    } finally {
      await messaging.close();
    }
  });

  it('refuses to publish before start and after close', async () => {
    const messaging = newMessaging();
    await expect(messaging.publish('any', [])).rejects.toThrow(MessagingNotRunning);
    await messaging.start();
    await messaging.close();
    await expect(messaging.publish('any', [])).rejects.toThrow(/closed/);
    await expect(messaging.start()).rejects.toThrow(MessagingNotRunning);
  });

  it('fails with a clear error naming Kafka and the address when no broker answers', async () => {
    const port = await closedPort();
    const { logger, lines } = collectingLogger();
    const messaging = newMessaging({ brokers: [`127.0.0.1:${port}`], logger, connect: { deadlineMs: 1_500, initialBackoffMs: 100, maxBackoffMs: 400 } });

    const failure = messaging.start();
    await expect(failure).rejects.toThrow(KafkaUnreachable);
    await expect(failure).rejects.toThrow(new RegExp(`^Kafka unreachable at 127\\.0\\.0\\.1:${port} after \\d+ attempt\\(s\\): .+`));

    const retries = lines().filter((line) => line.level === 'warn').map((line) => line.msg as string);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toBe(`Kafka unreachable at 127.0.0.1:${port}, retrying in 100 ms`);
    expect(retries[1]).toBe(`Kafka unreachable at 127.0.0.1:${port}, retrying in 200 ms`);
    await messaging.close();
  });
});
