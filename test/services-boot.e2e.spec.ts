import { checkHealth, serviceAddress, serviceDefaults, serviceEnvName, ServiceName, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { freePort } from '@pipewright/testing';

const names = Object.keys(serviceDefaults) as ServiceName[];

// A service serves only once its consumer groups have joined and fetched: seconds on a loaded machine.
jest.setTimeout(90_000);

describe('the five services as processes', () => {
  it.each(names)('%s boots, serves grpc.health.v1 SERVING, logs JSON and exits 0 on SIGTERM', async (name) => {
    // Free ports: another suite's service may still hold a default one. The default consumer groups on
    // a broker the other suites share start at the topics' ends, so this boot does not run their leftover jobs.
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const env = { [serviceEnvName(name, 'PORT')]: String(grpcPort), [serviceEnvName(name, 'HTTP_PORT')]: String(httpPort) };
    const proc = startServiceProcess(name, { ...env, PIPEWRIGHT_CONSUMER_START_FROM: 'latest', PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest' });
    try {
      await waitUntilServing(serviceAddress(name, env), proc);
      expect(await checkHealth(serviceAddress(name, env))).toBe('SERVING');
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      expect(res.status).toBe(200);
    } finally {
      const exit = await proc.stop('SIGTERM');
      if (exit.code !== 0) console.log(proc.lines.slice(-40).join('\n'));
      expect(exit).toEqual({ code: 0, signal: null });
    }
    expect(proc.lines.length).toBeGreaterThan(0);
    for (const line of proc.lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(proc.lines.some((l) => (JSON.parse(l).msg ?? JSON.parse(l).message ?? '').includes('stopped'))).toBe(true);
  });

  it('reports an unknown health service as NOT_FOUND', async () => {
    const env = { PIPEWRIGHT_ARTIFACT_PORT: String(await freePort()), PIPEWRIGHT_ARTIFACT_HTTP_PORT: String(await freePort()) };
    const proc = startServiceProcess('artifact', env);
    try {
      await waitUntilServing(serviceAddress('artifact', env), proc);
      await expect(checkHealth(serviceAddress('artifact', env), 'no.such.Service')).rejects.toMatchObject({ code: 5 });
    } finally {
      await proc.stop();
    }
  });
});

describe('a dependency down at start', () => {
  const cases: [string, NodeJS.ProcessEnv, RegExp, RegExp][] = [
    ['Kafka', { KAFKA_BROKERS: '127.0.0.1:1' }, /Kafka unreachable at 127\.0\.0\.1:1, retrying/, /Kafka unreachable at 127\.0\.0\.1:1/],
    ['PostgreSQL', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/pipewright' }, /PostgreSQL.*127\.0\.0\.1:1.*retry/i, /PostgreSQL at 127\.0\.0\.1:1 is unreachable/],
  ];
  it.each(cases)('%s: the service names it, retries with backoff, then fails clearly', async (_name, env, retrying, fatal) => {
    const proc = startServiceProcess('pipeline-definition', { ...env, PIPEWRIGHT_START_DEADLINE_MS: '4000' });
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    const text = proc.lines.join('\n');
    expect(text).toMatch(retrying);
    expect(text).toMatch(fatal);
    const records = proc.lines.map((line) => JSON.parse(line));
    expect(records).toContainEqual(expect.objectContaining({ level: 'fatal', msg: 'failed to start', error: expect.stringMatching(fatal) }));
  }, 60_000);
});
