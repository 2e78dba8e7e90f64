/**
 * Readiness follows the broker and the database for real: a service process reaches PostgreSQL and
 * Kafka through TCP proxies in this test, in front of the shared ones. Cutting a proxy (its
 * connections closed, new ones refused) is, for that process, the dependency going away; the
 * shared infrastructure keeps running for everyone else.
 *
 * Kafka's broker advertises its own address, so after bootstrap the process's Kafka clients talk to
 * the broker directly; the readiness check opens a fresh connection to the configured bootstrap
 * address each time, which is the connection the proxy cuts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, startServiceProcess, ServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { eventually, freePort, testEnv } from '@pipewright/testing';
import { servicePort } from './platform';

jest.setTimeout(180_000);

const scratch = mkdtempSync(join(tmpdir(), 'pipewright-readiness-'));

/** A TCP forwarder that can be cut and restored on the same port. */
class CuttableProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.server = server;
  }

  /** Refuses new connections and drops the open ones, as an unreachable host would look. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.server = undefined;
  }
}

describe('readiness follows PostgreSQL and Kafka', () => {
  const env = testEnv();
  const database = new URL(env.databaseUrl);
  const [kafkaHost, kafkaPort] = env.kafkaBrokers[0].split(':');
  let postgresProxy: CuttableProxy;
  let kafkaProxy: CuttableProxy;
  let proc: ServiceProcess;
  let grpcAddress: string;
  let readyz: string;

  beforeAll(async () => {
    postgresProxy = new CuttableProxy(await freePort(), { host: database.hostname, port: Number(database.port || 5432) });
    kafkaProxy = new CuttableProxy(await freePort(), { host: kafkaHost, port: Number(kafkaPort) });
    await postgresProxy.open();
    await kafkaProxy.open();
    const proxiedDatabase = new URL(env.databaseUrl);
    proxiedDatabase.hostname = '127.0.0.1';
    proxiedDatabase.port = String(postgresProxy.port);
    const port = await servicePort();
    grpcAddress = `127.0.0.1:${port}`;
    readyz = `http://127.0.0.1:${port + 1000}/readyz`;
    proc = startServiceProcess('artifact', {
      DATABASE_URL: proxiedDatabase.toString(),
      KAFKA_BROKERS: `127.0.0.1:${kafkaProxy.port}`,
      PIPEWRIGHT_ARTIFACT_PORT: String(port),
      PIPEWRIGHT_ARTIFACT_ROOT: scratch,
      PIPEWRIGHT_READINESS_INTERVAL_MS: '300',
      PIPEWRIGHT_READINESS_TIMEOUT_MS: '1000',
    });
    await waitUntilServing(grpcAddress, proc, 90_000);
  });

  afterAll(async () => {
    await postgresProxy?.open().catch(() => undefined);
    await kafkaProxy?.open().catch(() => undefined);
    await proc?.stop();
    await postgresProxy?.cut();
    await kafkaProxy?.cut();
    rmSync(scratch, { recursive: true, force: true });
  });

  async function readiness(): Promise<{ status: number; body: { ready: boolean; statuses: Record<string, string> } }> {
    const res = await fetch(readyz);
    return { status: res.status, body: (await res.json()) as { ready: boolean; statuses: Record<string, string> } };
  }

  const cases: [string, 'postgres' | 'kafka', () => CuttableProxy][] = [
    ['PostgreSQL', 'postgres', () => postgresProxy],
    ['Kafka', 'kafka', () => kafkaProxy],
  ];

  it.each(cases)('%s unreachable: /readyz 503 and grpc health NOT_SERVING, liveness up; back: ready again', async (_name, dependency, proxy) => {
    // given a ready service
    expect(await readiness()).toMatchObject({ status: 200, body: { ready: true, statuses: { '': 'SERVING', postgres: 'SERVING', kafka: 'SERVING' } } });

    // when the dependency goes away
    await proxy().cut();

    // then the service is not ready, names the dependency, and is still alive
    const down = await eventually(`${dependency} NOT_SERVING`, async () => {
      const r = await readiness();
      return r.status === 503 && r.body.statuses[dependency] === 'NOT_SERVING' ? r : undefined;
    });
    expect(down.body).toMatchObject({ ready: false, statuses: { '': 'NOT_SERVING' } });
    expect(await checkHealth(grpcAddress)).toBe('NOT_SERVING');
    expect(await checkHealth(grpcAddress, dependency)).toBe('NOT_SERVING');
    expect((await fetch(readyz.replace('/readyz', '/healthz'))).status).toBe(200);

    // when it comes back
    await proxy().open();

    // then the service is ready again
    await eventually(`${dependency} SERVING again`, async () => ((await readiness()).status === 200 ? true : undefined));
    expect(await checkHealth(grpcAddress)).toBe('SERVING');
    expect(proc.lines.join('\n')).toMatch(new RegExp(`${dependency} unreachable: not ready[\\s\\S]*${dependency} reachable again: ready`));
  });
});
