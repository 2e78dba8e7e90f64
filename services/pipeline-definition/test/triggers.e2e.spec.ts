import { status } from '@grpc/grpc-js';
import { pipelineV1 } from '@pipewright/contracts';
import { decodeCloudEvent, Topics } from '@pipewright/messaging';
import { GrpcClient, problemsFromMetadata, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { testEnv, uniqueName, rejected } from '@pipewright/testing';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Host, pushHeaders, TestRepo, ZERO_SHA } from '@pipewright/testing';
import { eventually, freePort } from '@pipewright/testing';

const POLL_INTERVAL_MS = 300;

// Polls, webhooks and a real process on a loaded 2-core machine: each test waits with eventually().
jest.setTimeout(90_000);


type Triggers = Record<string, unknown>[] | undefined;

function declaration(name: string, repo: TestRepo, triggers: Triggers) {
  return {
    name,
    pipelineType: 'V2',
    stages: [
      { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' }, configuration: { RepositoryUrl: repo.dir, Branch: 'main' }, outputArtifacts: [{ name: 'Src' }] }] },
      { name: 'Build', actions: [{ name: 'Make', actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' }, inputArtifacts: [{ name: 'Src' }] }] },
    ],
    ...(triggers ? { triggers } : {}),
  };
}

const srcOnMainOrRelease = [
  {
    providerType: 'CodeStarSourceConnection',
    gitConfiguration: { sourceActionName: 'Checkout', push: [{ branches: { includes: ['main', 'release/**'], excludes: ['release/old*'] }, filePaths: { includes: ['src/**'] } }] },
  },
];

describe('pipeline triggers (a real pipeline-definition process, real git repositories, PostgreSQL and Kafka)', () => {
  let proc: ServiceProcess;
  let client: GrpcClient;
  let httpBase: string;
  let consumer: Consumer;
  let gitCache: string;
  const requested = new Map<string, { key: string; type: string; data: pipelineV1.ExecutionRequested }[]>();
  const repos: TestRepo[] = [];
  const pipelines: string[] = [];

  beforeAll(async () => {
    const env = testEnv();
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    gitCache = mkdtempSync(join(tmpdir(), 'pipewright-git-cache-'));
    proc = startServiceProcess('pipeline-definition', {
      DATABASE_URL: env.databaseUrl,
      KAFKA_BROKERS: env.kafkaBrokers.join(','),
      PIPEWRIGHT_PIPELINE_DEFINITION_PORT: String(grpcPort),
      PIPEWRIGHT_PIPELINE_DEFINITION_HTTP_PORT: String(httpPort),
      PIPEWRIGHT_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      PIPEWRIGHT_GIT_CACHE_DIR: gitCache,
    });
    await waitUntilServing(`127.0.0.1:${grpcPort}`, proc);
    client = new GrpcClient('PipelineService', `127.0.0.1:${grpcPort}`);
    httpBase = `http://127.0.0.1:${httpPort}`;
    consumer = new Kafka({ brokers: env.kafkaBrokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('pd-triggers-test') });
    await consumer.connect();
    // From the beginning: nothing published for this run's pipelines can be missed; others' are skipped by key.
    await consumer.subscribe({ topic: Topics.ExecutionRequests, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (!pipelines.includes(key)) return;
        const event = decodeCloudEvent(message);
        const list = requested.get(key) ?? [];
        list.push({ key, type: event.type, data: pipelineV1.ExecutionRequested.decode(event.data) });
        requested.set(key, list);
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const name of pipelines) await client?.call('DeletePipeline', { name }).catch(() => undefined);
    await consumer?.disconnect();
    client?.close();
    const exit = await proc?.stop();
    for (const repo of repos) repo.remove();
    if (gitCache) rmSync(gitCache, { recursive: true, force: true });
    expect(exit).toEqual({ code: 0, signal: null });
  }, 60_000);

  const revisionsOf = (name: string) => (requested.get(name) ?? []).map((r) => r.data.sourceRevisions[0]?.revisionValue);
  const requestFor = (name: string, commit: string) => eventually(`an execution request of ${name} at ${commit}`, () => requested.get(name)?.find((r) => r.data.sourceRevisions[0]?.revisionValue === commit));

  async function createPipeline(prefix: string, triggers: Triggers): Promise<{ name: string; repo: TestRepo; first: string }> {
    const name = uniqueName(prefix);
    const repo = TestRepo.create();
    repos.push(repo);
    const first = repo.commit({ 'src/app.ts': 'v1', 'docs/readme.md': 'v1' }, 'initial');
    pipelines.push(name);
    await client.call('CreatePipeline', { pipeline: declaration(name, repo, triggers) });
    return { name, repo, first };
  }

  async function withWebhook(prefix: string, triggers: Triggers, secret = `secret-${uniqueName('s')}`) {
    const pipeline = await createPipeline(prefix, triggers);
    const webhook = `${pipeline.name}-hook`;
    await client.call('PutWebhook', { webhook: { name: webhook, targetPipeline: pipeline.name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC', authenticationConfiguration: { secretToken: secret } } });
    return { ...pipeline, webhook, secret };
  }

  async function deliver(webhook: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${httpBase}/webhooks/${webhook}`, { method: 'POST', headers, body });
    return { status: response.status, body: await response.json() };
  }

  /** Pushes `ref` from `before` to its current commit and delivers it, signed, in the host's format. */
  async function push(ctx: { repo: TestRepo; webhook: string; secret: string }, host: Host, branch: string, before: string, options: { secret?: string; deliveryId?: string } = {}) {
    const after = ctx.repo.head(branch);
    const body = JSON.stringify(ctx.repo.pushPayload(host, `refs/heads/${branch}`, before, after));
    const headers = pushHeaders(host, body, options.secret ?? ctx.secret, options.deliveryId);
    return { after, body, headers, response: await deliver(ctx.webhook, headers, body) };
  }

  /**
   * A matching push delivered after the ones under test. Requests of one pipeline share a partition,
   * in order, so once the marker's request arrived, any request the earlier deliveries made has too.
   */
  async function marker(ctx: { name: string; repo: TestRepo; webhook: string; secret: string }, host: Host = 'GitHub'): Promise<string> {
    ctx.repo.checkout('main');
    const before = ctx.repo.head();
    ctx.repo.commit({ [`src/marker-${uniqueName('m')}.ts`]: 'marker' }, 'marker');
    const { after, response } = await push(ctx, host, 'main', before);
    expect(response.status).toBe(202);
    await requestFor(ctx.name, after);
    return after;
  }

  it('a GitHub push that matches the filters starts exactly one execution at the pushed commit; the same delivery again starts nothing', async () => {
    const ctx = await withWebhook('gh', srcOnMainOrRelease);
    const commit = ctx.repo.commit({ 'src/app.ts': 'v2' }, 'change the app');
    const first = await push(ctx, 'GitHub', 'main', ctx.first, { deliveryId: 'delivery-1' });
    expect(first.response).toEqual({ status: 202, body: expect.objectContaining({ outcome: 'Started', revision: commit }) });
    const again = await deliver(ctx.webhook, first.headers, first.body);
    expect(again).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'AlreadyStarted', revision: commit }) });

    const request = await requestFor(ctx.name, commit);
    expect(request.type).toBe('pipewright.pipeline.v1.ExecutionRequested');
    expect(request.data).toMatchObject({
      pipelineName: ctx.name,
      pipelineVersion: 1,
      trigger: { triggerType: 'WebhookV2', triggerDetail: expect.stringContaining(ctx.webhook) },
      sourceRevisions: [{ actionName: 'Checkout', revisionType: 'COMMIT_ID', revisionValue: commit }],
    });
    expect(request.data.declaration?.name).toBe(ctx.name);
    const last = await marker(ctx);
    expect(revisionsOf(ctx.name)).toEqual([commit, last]);
  });

  it('a push to an excluded branch, or one that touches only files outside filePaths, starts nothing', async () => {
    const ctx = await withWebhook('filtered', srcOnMainOrRelease);
    ctx.repo.checkout('release/old-1');
    ctx.repo.commit({ 'src/app.ts': 'old release' });
    const excluded = await push(ctx, 'GitHub', 'release/old-1', ZERO_SHA);
    expect(excluded.response).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'Filtered' }) });

    ctx.repo.checkout('release/2025/1');
    ctx.repo.commit({ 'src/app.ts': 'a release' });
    const included = await push(ctx, 'GitHub', 'release/2025/1', ZERO_SHA);
    expect(included.response.status).toBe(202);

    ctx.repo.checkout('main');
    ctx.repo.commit({ 'docs/readme.md': 'v2', 'README.md': 'hello' }, 'docs only');
    const docs = await push(ctx, 'GitHub', 'main', ctx.first);
    expect(docs.response).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'Filtered' }) });

    const last = await marker(ctx);
    expect(revisionsOf(ctx.name)).toEqual([included.after, last]);
  });

  it('a bad signature is answered 401, recorded with its delivery id, and starts nothing', async () => {
    const ctx = await withWebhook('badsig', undefined);
    ctx.repo.commit({ 'src/app.ts': 'v2' });
    const forged = await push(ctx, 'GitHub', 'main', ctx.first, { secret: 'not-the-secret', deliveryId: 'forged-delivery-1' });
    expect(forged.response).toEqual({ status: 401, body: expect.objectContaining({ outcome: 'Rejected' }) });
    const { 'x-hub-signature-256': _dropped, ...unsigned } = forged.headers;
    expect((await deliver(ctx.webhook, { ...unsigned, 'x-github-delivery': 'unsigned-delivery-1' }, forged.body)).status).toBe(401);
    await eventually('the rejection in the log', () => proc.lines.find((l) => l.includes('forged-delivery-1') && l.includes('rejected')));
    await eventually('the rejection in the log', () => proc.lines.find((l) => l.includes('unsigned-delivery-1') && l.includes('rejected')));

    const last = await marker(ctx);
    expect(revisionsOf(ctx.name)).toEqual([last]);
    expect(proc.lines.some((l) => l.includes(ctx.secret))).toBe(false);
  });

  it.each<Host>(['GitLab', 'Gitea'])('%s pushes are accepted with their own signature scheme and refused with a wrong one', async (host) => {
    const ctx = await withWebhook(host.toLowerCase(), srcOnMainOrRelease);
    const commit = ctx.repo.commit({ 'src/app.ts': `v2 from ${host}` });
    const wrong = await push(ctx, host, 'main', ctx.first, { secret: 'wrong-secret' });
    expect(wrong.response.status).toBe(401);
    const right = await push(ctx, host, 'main', ctx.first);
    expect(right.response).toEqual({ status: 202, body: expect.objectContaining({ outcome: 'Started', revision: commit }) });
    const redelivered = await deliver(ctx.webhook, right.headers, right.body);
    expect(redelivered.body.outcome).toBe('AlreadyStarted');
    const last = await marker(ctx, host);
    expect(revisionsOf(ctx.name)).toEqual([commit, last]);
  });

  it('a GitLab push that lists only some of its commits is judged on the files git reports between the two commits', async () => {
    const ctx = await withWebhook('partial', srcOnMainOrRelease);
    const deliverPartial = async (before: string) => {
      const after = ctx.repo.head('main');
      // GitLab lists at most 20 commits; here it lists none of the 30 it announces.
      const body = JSON.stringify({ ...ctx.repo.pushPayload('GitLab', 'refs/heads/main', before, after), total_commits_count: 30, commits: [] });
      return { after, response: await deliver(ctx.webhook, pushHeaders('GitLab', body, ctx.secret), body) };
    };
    const docsOnly = ctx.repo.commit({ 'docs/readme.md': 'v2' }, 'docs');
    expect((await deliverPartial(ctx.first)).response).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'Filtered' }) });
    ctx.repo.commit({ 'docs/readme.md': 'v3' }, 'more docs');
    ctx.repo.commit({ 'src/app.ts': 'v2' }, 'code');
    const code = await deliverPartial(docsOnly);
    expect(code.response).toEqual({ status: 202, body: expect.objectContaining({ outcome: 'Started', revision: code.after }) });
    const last = await marker(ctx, 'GitLab');
    expect(revisionsOf(ctx.name)).toEqual([code.after, last]);
  });

  it('a revision both polled and delivered by a webhook starts one execution', async () => {
    const { name, repo, first } = await createPipeline('pollhook', undefined);
    await eventually('the first poll', () => proc.lines.find((l) => l.includes(`${name}.Checkout: first poll`)));
    const commit = repo.commit({ 'src/app.ts': 'v2' });
    await requestFor(name, commit);
    // A webhook put afterwards reports the same push; polling stops for this source action.
    const ctx = { name, repo, webhook: `${name}-hook`, secret: 'pollhook-secret' };
    await client.call('PutWebhook', { webhook: { name: ctx.webhook, targetPipeline: name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC', authenticationConfiguration: { secretToken: ctx.secret } } });
    const late = await push(ctx, 'GitHub', 'main', first);
    expect(late.response).toEqual({ status: 200, body: expect.objectContaining({ outcome: 'AlreadyStarted', revision: commit }) });
    const last = await marker(ctx);
    expect(revisionsOf(name)).toEqual([commit, last]);
  });

  it('manages webhooks: secrets are never returned, bad definitions are refused with every problem, delete removes', async () => {
    const ctx = await withWebhook('manage', undefined, 'a-very-secret-token');
    const listed: any[] = [];
    for (let token = ''; ; ) {
      const page = await client.call('ListWebhooks', { nextToken: token, maxResults: 100 });
      listed.push(...page.webhooks);
      if (!page.nextToken) break;
      token = page.nextToken;
    }
    const mine = listed.find((w) => w.definition.name === ctx.webhook);
    expect(mine).toMatchObject({ url: `${httpBase}/webhooks/${ctx.webhook}`, definition: { targetPipeline: ctx.name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC' } });
    expect(JSON.stringify(listed)).not.toContain('a-very-secret-token');
    const tooMany = await rejected(client.call('ListWebhooks', { maxResults: 101 }));
    expect(tooMany.code).toBe(status.INVALID_ARGUMENT);
    expect(problemsFromMetadata(tooMany.metadata)).toEqual([{ path: 'max_results', message: 'max_results must be between 1 and 100' }]);

    const invalid = await rejected(client.call('PutWebhook', { webhook: { name: 'bad name!', targetPipeline: ctx.name, targetAction: 'Checkout', authentication: 'GITHUB_HMAC', filters: [{ jsonPath: 'ref', matchEquals: 'x' }] } }));
    expect(invalid.code).toBe(status.INVALID_ARGUMENT);
    expect(problemsFromMetadata(invalid.metadata).map((p) => p.path).sort()).toEqual(['webhook.authentication_configuration.secret_token', 'webhook.filters[0].json_path', 'webhook.name']);
    const noAction = await rejected(client.call('PutWebhook', { webhook: { name: `${ctx.webhook}-2`, targetPipeline: ctx.name, targetAction: 'Make', authentication: 'UNAUTHENTICATED' } }));
    expect(noAction.code).toBe(status.INVALID_ARGUMENT);
    const noPipeline = await rejected(client.call('PutWebhook', { webhook: { name: `${ctx.webhook}-3`, targetPipeline: uniqueName('absent'), targetAction: 'Checkout', authentication: 'UNAUTHENTICATED' } }));
    expect(noPipeline.code).toBe(status.NOT_FOUND);

    await client.call('DeleteWebhook', { name: ctx.webhook });
    ctx.repo.commit({ 'src/app.ts': 'v2' });
    const afterDelete = await push(ctx, 'GitHub', 'main', ctx.first);
    expect(afterDelete.response.status).toBe(404);
  });

  it('polling picks up a new commit on the configured branch of a local-path repository, and only there', async () => {
    const { name, repo } = await createPipeline('poll', undefined);
    await eventually('the first poll', () => proc.lines.find((l) => l.includes(`${name}.Checkout: first poll`)));
    repo.checkout('feature');
    const elsewhere = repo.commit({ 'src/app.ts': 'on a feature branch' });
    repo.checkout('main');
    const commit = repo.commit({ 'src/app.ts': 'v2' }, 'second');
    const request = await requestFor(name, commit);
    expect(request.data).toMatchObject({ pipelineName: name, trigger: { triggerType: 'PollForSourceChanges', triggerDetail: 'Checkout' }, sourceRevisions: [{ actionName: 'Checkout', revisionValue: commit }] });
    const next = repo.commit({ 'src/app.ts': 'v3' }, 'third');
    await requestFor(name, next);
    expect(revisionsOf(name)).toEqual([commit, next]);
    expect(revisionsOf(name)).not.toContain(elsewhere);
  });

  it('polling applies filePaths filters to the files changed since the last seen commit', async () => {
    const { name, repo } = await createPipeline('pollpaths', [
      { providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: 'Checkout', push: [{ branches: { includes: ['main', 'docs/**'] }, filePaths: { includes: ['src/**'] } }] } },
    ]);
    await eventually('the first poll', () => proc.lines.find((l) => l.includes(`${name}.Checkout: first poll`)));
    repo.checkout('docs/update');
    repo.commit({ 'docs/readme.md': 'v2' }, 'docs only');
    repo.checkout('main');
    const commit = repo.commit({ 'src/lib/util.ts': 'util' }, 'code');
    // The docs branch moved before main did, so the poll that sees main's commit has judged it too.
    await requestFor(name, commit);
    expect(revisionsOf(name)).toEqual([commit]);
  });
});
