import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { HttpInvokeProvider, runJob } from '../index';
import { makeJob, removeFixtures } from '../../test/job-fixture';

afterAll(removeFixtures);

describe('Invoke/Pipewright/Http', () => {
  let server: Server;
  let url: string;
  const received: Array<{ method?: string; body: string; header?: string }> = [];
  let failuresLeft = 0;
  let failStatus = 503;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk));
      request.on('end', () => {
        received.push({ method: request.method, body, header: request.headers['x-deploy'] as string | undefined });
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          response.writeHead(failStatus).end('not yet');
        } else response.writeHead(201, { 'content-type': 'application/json' }).end('{"deployed":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/deploy`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => (received.length = 0));

  const providers = [new HttpInvokeProvider(10)];
  const invoke = (configuration: Record<string, string>) => makeJob('Invoke/Pipewright/Http', { configuration: { Url: url, ...configuration }, outputArtifacts: [{ name: 'Response' }] });

  it('retries a server that fails twice, then succeeds, and saves the response', async () => {
    failuresLeft = 2;
    failStatus = 503;
    const job = await invoke({ Method: 'POST', Body: '{"release":"v2"}', Headers: '{"X-Deploy":"web"}', Retries: '3' });
    const outcome = await runJob(providers, job);
    expect(outcome).toMatchObject({ status: 'Succeeded', outputVariables: { StatusCode: '201', Attempts: '3' } });
    expect(received).toHaveLength(3);
    expect(received.every((request) => request.method === 'POST' && request.body === '{"release":"v2"}' && request.header === 'web')).toBe(true);
    if (outcome.status === 'Succeeded') expect(await fs.readFile(path.join(outcome.outputDirs.Response, 'response-body'), 'utf8')).toBe('{"deployed":true}');
  });

  it('fails when the retries run out, with the last status', async () => {
    failuresLeft = 5;
    failStatus = 503;
    const outcome = await runJob(providers, await invoke({ Retries: '1' }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'JobFailed', message: expect.stringContaining('status 503') });
    expect(received).toHaveLength(2);
    failuresLeft = 0;
  });

  it('does not retry a client error', async () => {
    failuresLeft = 1;
    failStatus = 404;
    const outcome = await runJob(providers, await invoke({ Retries: '3' }));
    expect(outcome).toMatchObject({ status: 'Failed', message: expect.stringContaining('status 404') });
    expect(received).toHaveLength(1);
  });

  it('accepts the configured ExpectedStatus only', async () => {
    expect(await runJob(providers, await invoke({ ExpectedStatus: '200' }))).toMatchObject({ status: 'Failed' });
    expect(await runJob(providers, await invoke({ ExpectedStatus: '200,201' }))).toMatchObject({ status: 'Succeeded' });
  });

  it('refuses bad configuration', async () => {
    const bad: Record<string, string>[] = [{ Url: 'ftp://example.com' }, { Headers: '[1]' }, { ExpectedStatus: 'ok' }, { Method: 'GET', Body: 'x' }];
    for (const configuration of bad) {
      expect(await runJob(providers, await invoke(configuration))).toMatchObject({ status: 'Failed', type: 'ConfigurationError' });
    }
  });

  it('fails on a refused connection after its retries', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await runJob(providers, await invoke({ Url: `http://127.0.0.1:${port}/`, Retries: '1' }));
    expect(outcome).toMatchObject({ status: 'Failed', type: 'JobFailed', message: expect.stringContaining('ECONNREFUSED') });
  });
});
