import { context, trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { uniqueName } from '@pipewright/testing';
import { headerString } from '../src/cloudevents';
import type { KafkaMessaging } from '../src/kafka-messaging';
import { DeadLetterHeaders, type ReceivedEvent, type Subscription } from '../src/subscription';
import { deadLetterTopic } from '../src/topics';
import { committedOffsets, eventually, newMessaging, produceRaw, readTopic, sampleEvent } from './support';

jest.setTimeout(90_000);

describe('KafkaMessaging publish and subscribe', () => {
  let messaging: KafkaMessaging;
  let topic: string;
  let groupId: string;
  const open: Subscription[] = [];
  const subscribe = async (...args: Parameters<KafkaMessaging['subscribe']>) => {
    const subscription = await messaging.subscribe(...args);
    open.push(subscription);
    return subscription;
  };
  const payloads = (received: ReceivedEvent[]) => received.map((r) => Buffer.from(r.event.data).toString());

  beforeEach(async () => {
    topic = uniqueName('topic');
    groupId = uniqueName('group');
    // One partition: the order of everything on the topic is the order of the test's assertions.
    messaging = newMessaging({ topics: [{ name: topic, partitions: 1 }] });
    await messaging.start();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((subscription) => subscription.close()));
    await messaging.close();
  });

  describe('with an OpenTelemetry SDK running', () => {
    const provider = new node.NodeTracerProvider();
    beforeAll(() => provider.register());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
    });

    it('delivers a CloudEvent with its headers decoded, keyed by pipeline name, inside the producer trace', async () => {
      const event = { ...sampleEvent('release', 'payload-1'), extensions: { correlationid: 'corr-1' } };
      const traceId = await trace.getTracer('test').startActiveSpan('StartPipelineExecution', async (span) => {
        await messaging.publish(topic, { key: 'release', event });
        span.end();
        return span.spanContext().traceId;
      });
      const received: Array<{ message: ReceivedEvent; traceId?: string }> = [];
      await subscribe({
        groupId,
        topics: [topic],
        handler: async (message) => void received.push({ message, traceId: trace.getSpan(context.active())?.spanContext().traceId }),
      });
      await eventually(() => received.length === 1, 'the event');

      const [{ message, traceId: handlerTraceId }] = received;
      expect(message).toMatchObject({ topic, partition: 0, offset: '0', key: 'release', attempt: 1 });
      expect(message.event).toEqual({ ...event, data: Buffer.from('payload-1') });
      expect(headerString(message.headers, 'ce_specversion')).toBe('1.0');
      expect(headerString(message.headers, 'content-type')).toBe('application/protobuf');
      expect(headerString(message.headers, 'traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(handlerTraceId).toBe(traceId);
    });
  });

  it('retries a failing handler with backoff, processes the message once, and commits after success', async () => {
    const attempts: number[] = [];
    const processed: string[] = [];
    await messaging.publish(topic, [
      { key: 'release', event: sampleEvent('release', 'flaky') },
      { key: 'release', event: sampleEvent('release', 'next') },
    ]);
    await subscribe({
      groupId,
      topics: [topic],
      maxAttempts: 5,
      retryBackoffMs: 50,
      handler: async ({ event, attempt }) => {
        const payload = Buffer.from(event.data).toString();
        if (payload === 'flaky') {
          attempts.push(attempt);
          if (attempt < 3) throw new Error(`transient failure ${attempt}`);
        }
        processed.push(payload);
      },
    });
    await eventually(() => processed.length === 2, 'both messages processed');
    expect(attempts).toEqual([1, 2, 3]);
    expect(processed).toEqual(['flaky', 'next']);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '2' });
  });

  it('sends a message whose handler always fails to the dead-letter topic, then goes on with the partition', async () => {
    const processed: string[] = [];
    const poison = sampleEvent('release', 'poison');
    await messaging.publish(topic, [
      { key: 'release', event: poison },
      { key: 'release', event: sampleEvent('release', 'after-poison') },
    ]);
    await subscribe({
      groupId,
      topics: [topic],
      maxAttempts: 3,
      retryBackoffMs: 20,
      handler: async ({ event }) => {
        const payload = Buffer.from(event.data).toString();
        if (payload === 'poison') throw new Error('cannot handle poison');
        processed.push(payload);
      },
    });
    await eventually(() => processed.length === 1, 'the message after the poison one');
    expect(processed).toEqual(['after-poison']);

    const [dead] = await readTopic(deadLetterTopic(topic, groupId), 1);
    expect(dead.key?.toString()).toBe('release');
    expect(dead.value?.toString()).toBe('poison');
    const header = (name: string) => headerString(dead.headers ?? {}, name);
    expect(header(DeadLetterHeaders.error)).toBe('cannot handle poison');
    expect(header(DeadLetterHeaders.errorName)).toBe('Error');
    expect(header(DeadLetterHeaders.topic)).toBe(topic);
    expect(header(DeadLetterHeaders.partition)).toBe('0');
    expect(header(DeadLetterHeaders.offset)).toBe('0');
    expect(header(DeadLetterHeaders.groupId)).toBe(groupId);
    expect(header(DeadLetterHeaders.attempts)).toBe('3');
    expect(header('ce_id')).toBe(poison.id);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '2' });
  });

  it('batch mode: fetched messages reach the batch handler in order, in runs, with one commit per run', async () => {
    const batches: string[][] = [];
    await messaging.publish(topic, ['b1', 'b2', 'b3', 'b4', 'b5'].map((payload) => ({ key: 'release', event: sampleEvent('release', payload) })));
    await subscribe({
      groupId,
      topics: [topic],
      maxBatchSize: 2,
      handler: async () => {
        throw new Error('the single-message handler is only for a failed batch');
      },
      batchHandler: async (received) => void batches.push(payloads([...received])),
    });
    await eventually(() => batches.flat().length === 5, 'five messages through the batch handler');
    expect(batches.flat()).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(2);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '5' });
  });

  it('batch mode: a failing batch is handled message by message, the poison one dead-lettered, the rest handled once', async () => {
    const single: string[] = [];
    const poison = sampleEvent('release', 'poison');
    await messaging.publish(topic, [
      { key: 'release', event: sampleEvent('release', 'before') },
      { key: 'release', event: poison },
      { key: 'release', event: sampleEvent('release', 'after') },
    ]);
    await produceRaw(topic, [{ key: 'release', value: 'not a cloudevent' }]);
    await subscribe({
      groupId,
      topics: [topic],
      maxAttempts: 2,
      retryBackoffMs: 20,
      handler: async ({ event }) => {
        const payload = Buffer.from(event.data).toString();
        if (payload === 'poison') throw new Error('cannot handle poison');
        single.push(payload);
      },
      batchHandler: async (received) => {
        if (payloads([...received]).includes('poison')) throw new Error('a batch with poison in it');
        single.push(...payloads([...received]).map((p) => `batch:${p}`));
      },
    });
    await eventually(() => single.length >= 2, 'the two good messages');
    const dead = await readTopic(deadLetterTopic(topic, groupId), 2);
    expect(dead.map((m) => m.value?.toString()).sort()).toEqual(['not a cloudevent', 'poison']);
    // Each good message handled exactly once (alone after the failed batch, or in a batch of its own).
    expect(single.map((p) => p.replace(/^batch:/, ''))).toEqual(['before', 'after']);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '4' });
  });

  it('sends a malformed message (no CloudEvents headers) to the dead-letter topic without calling the handler', async () => {
    const processed: string[] = [];
    await produceRaw(topic, [{ key: 'release', value: 'not a cloudevent', headers: { 'content-type': 'text/plain' } }]);
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'after-malformed') });
    await subscribe({ groupId, topics: [topic], handler: async ({ event }) => void processed.push(Buffer.from(event.data).toString()) });
    await eventually(() => processed.length === 1, 'the message after the malformed one');
    expect(processed).toEqual(['after-malformed']);

    const [dead] = await readTopic(deadLetterTopic(topic, groupId), 1);
    expect(dead.value?.toString()).toBe('not a cloudevent');
    expect(headerString(dead.headers ?? {}, DeadLetterHeaders.errorName)).toBe('MalformedMessage');
    expect(headerString(dead.headers ?? {}, DeadLetterHeaders.error)).toBe('malformed message: missing header ce_specversion');
    expect(headerString(dead.headers ?? {}, DeadLetterHeaders.attempts)).toBe('0');
    expect(headerString(dead.headers ?? {}, DeadLetterHeaders.offset)).toBe('0');
  });

  it('resumes after the last committed offset when a consumer is stopped and started again', async () => {
    const received: ReceivedEvent[] = [];
    const handler = async (message: ReceivedEvent) => void received.push(message);
    await messaging.publish(topic, ['m1', 'm2', 'm3'].map((payload) => ({ key: 'release', event: sampleEvent('release', payload) })));
    const first = await subscribe({ groupId, topics: [topic], handler });
    await eventually(() => received.length === 3, 'the first three messages');
    await first.close();

    await messaging.publish(topic, ['m4', 'm5'].map((payload) => ({ key: 'release', event: sampleEvent('release', payload) })));
    await subscribe({ groupId, topics: [topic], handler });
    await eventually(() => received.length >= 5, 'the two later messages');
    // One partition, delivered in order: a re-delivered m1..m3 would come before m4.
    expect(payloads(received)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(received.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('a group starting at the end is positioned when subscribe returns, and keeps that start across a member that never committed', async () => {
    const received: ReceivedEvent[] = [];
    const handler = async (message: ReceivedEvent) => void received.push(message);
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'history') });
    const first = await subscribe({ groupId, topics: [topic], handler, fromBeginning: false });
    // The start is committed before the member joins: the history is behind it.
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '1' });
    await first.close();

    // Published while the group has no member and no commit of its own: the next member reads it.
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'while-away') });
    await subscribe({ groupId, topics: [topic], handler, fromBeginning: false });
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'after') });
    await eventually(() => received.length >= 2, 'the two messages after the start');
    expect(payloads(received)).toEqual(['while-away', 'after']);
  });

  it('on close, lets the in-flight handler finish and commits it', async () => {
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    let release!: () => void;
    const handlerReleased = new Promise<void>((resolve) => (release = resolve));
    const finished: string[] = [];
    await messaging.publish(topic, { key: 'release', event: sampleEvent('release', 'slow') });
    await subscribe({
      groupId,
      topics: [topic],
      handler: async ({ event }) => {
        started();
        await handlerReleased;
        finished.push(Buffer.from(event.data).toString());
      },
    });
    await handlerStarted;
    let closed = false;
    const closing = messaging.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finished).toEqual(['slow']);
    expect(await committedOffsets(groupId, topic)).toEqual({ 0: '1' });
  });
});
