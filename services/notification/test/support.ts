import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { executionV1, timestampFromDate } from '@pipewright/contracts';
import { CONTENT_TYPE_PROTOBUF, encodeCloudEvent, Topics } from '@pipewright/messaging';
import { GrpcClient, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Client as PgClient } from 'pg';
import { SMTPServer } from 'smtp-server';
import { freePort } from '@pipewright/testing';
export { freePort };

/** Polls until `check` returns a value (not undefined), or fails naming what it waited for. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A notification service process of its own: own port, schema and consumer group, short backoffs. */
export class NotificationProcess {
  proc!: ServiceProcess;
  client!: GrpcClient;

  private constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly port: number,
  ) {}

  /** Where this process keeps its tables: tests read the attempts there and drop it afterwards. */
  get schema(): string {
    return this.env.PIPEWRIGHT_NOTIFICATION_SCHEMA!;
  }

  static async start(overrides: NodeJS.ProcessEnv = {}): Promise<NotificationProcess> {
    const port = await freePort();
    const infra = testEnv();
    const schema = uniqueName('notif');
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: infra.databaseUrl,
      KAFKA_BROKERS: infra.kafkaBrokers.join(','),
      PIPEWRIGHT_NOTIFICATION_PORT: String(port),
      PIPEWRIGHT_NOTIFICATION_HTTP_PORT: String(await freePort()),
      PIPEWRIGHT_NOTIFICATION_SCHEMA: schema,
      PIPEWRIGHT_NOTIFICATION_GROUP_ID: schema,
      // A new group skips the topic's history (other suites' events); untilConsuming waits until it is positioned.
      PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
      PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'true',
      PIPEWRIGHT_NOTIFICATION_MAX_ATTEMPTS: '3',
      PIPEWRIGHT_NOTIFICATION_BACKOFF_BASE_MS: '100',
      PIPEWRIGHT_NOTIFICATION_BACKOFF_MAX_MS: '400',
      PIPEWRIGHT_NOTIFICATION_TARGET_TIMEOUT_MS: '1500',
      PIPEWRIGHT_NOTIFICATION_POLL_INTERVAL_MS: '100',
      PIPEWRIGHT_NOTIFICATION_SECRETS: JSON.stringify({ 'hook-key': 'test-signing-secret', 'chat-token': 'test-chat-token' }),
      PIPEWRIGHT_CONSOLE_URL: 'http://console.test',
      ...overrides,
    };
    const service = new NotificationProcess(env, port);
    await service.launch();
    service.client = new GrpcClient('NotificationService', service.address);
    await untilConsuming(service.client);
    return service;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async launch(): Promise<void> {
    this.proc = startServiceProcess('notification', this.env);
    await waitUntilServing(this.address, this.proc, 90_000);
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.client?.close();
    return this.proc.stop();
  }

  /** Rows of this process's own tables, for what the API does not show (attempt history). */
  async sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    const client = new PgClient({ connectionString: this.env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(text.replace(/\$schema/g, `"${this.schema}"`), params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  dropSchema(): Promise<unknown> {
    return this.sql(`DROP SCHEMA IF EXISTS $schema CASCADE`);
  }
}

export interface ReceivedRequest {
  headers: IncomingMessage['headers'];
  body: string;
  url: string;
  /** The status this receiver answered with (0: none). */
  answered: number;
}

export type Behaviour = 'ok' | 'fail' | 'hang' | 'huge';

/** A real HTTP receiver on loopback whose answers the test decides, request by request. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  behaviour: (request: ReceivedRequest, index: number) => Behaviour = () => 'ok';
  private server!: Server;
  private readonly hanging = new Set<ServerResponse>();

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    receiver.server = createServer((req, res) => receiver.handle(req, res));
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: ReceivedRequest = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '', answered: 0 };
      const index = this.requests.push(request) - 1;
      const behaviour = this.behaviour(request, index);
      switch (behaviour) {
        case 'ok':
          request.answered = 200;
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
          return;
        case 'fail':
          request.answered = 503;
          res.writeHead(503).end('unavailable');
          return;
        case 'hang':
          this.hanging.add(res);
          res.on('close', () => this.hanging.delete(res));
          return;
        case 'huge':
          request.answered = 200;
          streamHugeBody(res, 100 * 1024 * 1024);
          return;
      }
    });
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** 100 MB announced and streamed as long as the client reads, never held in memory. */
function streamHugeBody(res: ServerResponse, total: number): void {
  const chunk = Buffer.alloc(1024 * 1024, 'x');
  let sent = 0;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  res.on('error', () => undefined);
  pump();
}

export interface Mail {
  from: string;
  to: string[];
  raw: string;
}

/** A real SMTP server on loopback (no TLS, no auth) that keeps every message. */
export class MailServer {
  readonly messages: Mail[] = [];
  private server!: SMTPServer;
  port = 0;

  static async start(): Promise<MailServer> {
    const mail = new MailServer();
    mail.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mail.messages.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    mail.port = await freePort();
    await new Promise<void>((resolve) => mail.server.listen(mail.port, '127.0.0.1', resolve));
    return mail;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

type Published = { type: keyof typeof codecs; message: Record<string, unknown> };

const codecs = {
  PipelineExecutionStateChange: executionV1.PipelineExecutionStateChange,
  StageExecutionStateChange: executionV1.StageExecutionStateChange,
  ActionExecutionStateChange: executionV1.ActionExecutionStateChange,
  ApprovalStateChange: executionV1.ApprovalStateChange,
} as const;

/** Publishes execution events exactly as the orchestrator does: binary CloudEvents, protobuf data, keyed by pipeline. */
export class Orchestrator {
  private constructor(private readonly producer: Producer) {}

  static async connect(): Promise<Orchestrator> {
    const producer = new Kafka({ clientId: 'notification-test', brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    return new Orchestrator(producer);
  }

  /** Returns the CloudEvent ids, in order. A partition given overrides the one the key picks. */
  async publish(events: Published[], ids: string[] = events.map(() => randomUUID()), partition?: number): Promise<string[]> {
    const messages = events.map(({ type, message }, i) => {
      const codec = codecs[type] as { fromPartial(o: unknown): unknown; encode(m: unknown): { finish(): Uint8Array } };
      const pipeline = String(message.pipeline);
      const time = new Date();
      const data = codec.encode(codec.fromPartial({ ...message, time: timestampFromDate(time) })).finish();
      const { value, headers } = encodeCloudEvent({
        id: ids[i],
        type: `pipewright.execution.v1.${type}`,
        source: '/pipewright/orchestrator',
        time,
        subject: pipeline,
        datacontenttype: CONTENT_TYPE_PROTOBUF,
        data,
      });
      return { key: pipeline, value, headers, partition };
    });
    await this.producer.send({ topic: Topics.ExecutionEvents, messages });
    return ids;
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}

/** One execution from start to success: execution, stage and action changes, as the orchestrator emits them. */
export function lifecycle(pipeline: string, executionId = randomUUID()): Published[] {
  const base = { pipeline, executionId, version: 1 };
  return [
    { type: 'PipelineExecutionStateChange', message: { ...base, state: 'STARTED', executionMode: 'SUPERSEDED', executionType: 'STANDARD' } },
    { type: 'StageExecutionStateChange', message: { ...base, stage: 'Source', state: 'STARTED' } },
    { type: 'ActionExecutionStateChange', message: { ...base, stage: 'Source', action: 'Checkout', state: 'STARTED', attempt: 1 } },
    { type: 'ActionExecutionStateChange', message: { ...base, stage: 'Source', action: 'Checkout', state: 'SUCCEEDED', attempt: 1 } },
    { type: 'StageExecutionStateChange', message: { ...base, stage: 'Source', state: 'SUCCEEDED' } },
    { type: 'PipelineExecutionStateChange', message: { ...base, state: 'SUCCEEDED', executionMode: 'SUPERSEDED', executionType: 'STANDARD' } },
  ];
}


export async function listAll(client: GrpcClient, request: Record<string, unknown>): Promise<any[]> {
  const all: any[] = [];
  let nextToken = '';
  do {
    const page = await client.call('ListDeliveries', { ...request, nextToken, maxResults: 100 });
    all.push(...page.deliveries);
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

/** A WatchEvents stream the test can read and cancel. */
export function watchEvents(client: GrpcClient, request: Record<string, unknown>) {
  const events: any[] = [];
  const call = (client.stub as any).WatchEvents(request);
  let failure: { code: number; details: string } | undefined;
  call.on('data', (event: any) => events.push(event));
  const ended = new Promise<void>((resolve) => {
    call.on('error', (error: { code: number; details: string }) => {
      failure = error;
      resolve();
    });
    call.on('end', () => resolve());
  });
  return {
    events,
    ended,
    get failure() {
      return failure;
    },
    cancel: () => call.cancel(),
  };
}

/**
 * Waits until the service's consumer reads every partition of the execution-events topic: a new
 * group that starts at the latest offsets would miss what a test publishes before that. Publishes
 * to each partition not yet seen, round after round, until WatchEvents shows one from each.
 */
export async function untilConsuming(client: GrpcClient): Promise<void> {
  const kafka = new Kafka({ brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const partitions = (await admin.fetchTopicOffsets(Topics.ExecutionEvents)).map((p) => p.partition);
  await admin.disconnect();
  const orchestrator = await Orchestrator.connect();
  const pipeline = uniqueName('warmup');
  const partitionOf = new Map<string, number>();
  const stream = watchEvents(client, { pipelineName: pipeline, afterPosition: '0' });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const seen = new Set(stream.events.map((e) => partitionOf.get(e.eventId)));
      const missing = partitions.filter((p) => !seen.has(p));
      if (missing.length === 0) return;
      if (Date.now() > deadline) throw new Error(`the service consumed nothing from partitions ${missing.join(', ')} within 60 s`);
      for (const partition of missing) {
        const [id] = await orchestrator.publish([lifecycle(pipeline)[0]], [randomUUID()], partition);
        partitionOf.set(id, partition);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    stream.cancel();
    await orchestrator.disconnect();
  }
}

export { rejected } from '@pipewright/testing';
