import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import { pipelineV1 } from '@pipewright/contracts';
import { decodeCloudEvent, Topics } from '@pipewright/messaging';
import { GrpcClient, problemsFromMetadata, serviceAddress, ServiceProcess, startServiceProcess, waitUntilServing, workspaceRoot } from '@pipewright/service-kit';
import { testEnv, uniqueName, rejected } from '@pipewright/testing';
import { Kafka, logLevel } from 'kafkajs';

const corpus = join(workspaceRoot, '..', 'shared', 'corpus', 'codepipeline');
const corpusFiles = readdirSync(corpus).filter((f) => f.endsWith('.json'));
const valid = corpusFiles.filter((f) => !f.includes('INVALID'));
const invalid = corpusFiles.filter((f) => f.includes('INVALID'));

/** proto3 JSON leaves out empty lists and maps; CodePipeline's JSON sometimes spells them. */
function withoutEmpty(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpty);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !(Array.isArray(v) && v.length === 0) && !(v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0))
        .map(([k, v]) => [k, withoutEmpty(v)]),
    );
  }
  return value;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

function pipelineOf(file: string): Record<string, any> {
  const doc = JSON.parse(readFileSync(join(corpus, file), 'utf8'));
  return doc.pipeline ?? doc;
}

function minimal(name: string) {
  return {
    // configuration values are open-ended string maps

    name,
    stages: [
      { name: 'Source', actions: [{ name: 'Checkout', actionTypeId: { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' }, configuration: { RepositoryUrl: '/tmp/repo' } as Record<string, string>, outputArtifacts: [{ name: 'Src' }] }] },
      { name: 'Build', actions: [{ name: 'Make', actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' }, configuration: { Commands: 'make' }, inputArtifacts: [{ name: 'Src' }] }] },
    ],
  };
}


describe('PipelineService over gRPC (a real pipeline-definition process, PostgreSQL and Kafka)', () => {
  let proc: ServiceProcess;
  let client: GrpcClient;

  beforeAll(async () => {
    const env = testEnv();
    proc = startServiceProcess('pipeline-definition', { DATABASE_URL: env.databaseUrl, KAFKA_BROKERS: env.kafkaBrokers.join(',') });
    await waitUntilServing(serviceAddress('pipeline-definition'), proc);
    client = new GrpcClient('PipelineService', serviceAddress('pipeline-definition'));
  }, 90_000);

  afterAll(async () => {
    client?.close();
    const exit = await proc?.stop();
    expect(exit).toEqual({ code: 0, signal: null });
  });

  it.each(valid)('imports corpus file %s as it is and reads it back equal', async (file) => {
    const name = uniqueName('corpus');
    const text = readFileSync(join(corpus, file), 'utf8');
    const document = JSON.parse(text);
    const pipeline = document.pipeline ?? document;
    pipeline.name = name; // many files share the name PLACEHOLDER; everything else stays as written
    const created = await client.call('CreatePipeline', { pipelineDocument: JSON.stringify(document) });
    expect(created.pipeline.name).toBe(name);
    const got = await client.call('GetPipeline', { name });
    const back = pipelineV1.PipelineDeclaration.toJSON(pipelineV1.PipelineDeclaration.fromPartial(got.pipeline)) as Record<string, unknown>;
    expect(withoutEmpty({ ...back, version: undefined })).toEqual(withoutEmpty({ ...pipelineOf(file), name, version: undefined }));
    expect(got.metadata.version).toBe(1);
  });

  it.each(invalid)('rejects corpus file %s with INVALID_ARGUMENT naming the problem and its path', async (file) => {
    const error = await rejected(client.call('CreatePipeline', { pipelineDocument: readFileSync(join(corpus, file), 'utf8') }));
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    const problems = problemsFromMetadata(error.metadata);
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) expect(p.path).toMatch(/^pipeline/);
    expect(error.details).toContain(problems[0].path);
  });

  it('keeps every version: create, update three times, list versions, get an old one', async () => {
    const name = uniqueName('versions');
    await client.call('CreatePipeline', { pipeline: minimal(name) });
    for (let v = 1; v <= 3; v++) {
      const next = minimal(name);
      next.stages[1].actions[0].configuration.Commands = `make v${v + 1}`;
      const updated = await client.call('UpdatePipeline', { pipeline: next, expectedVersion: v });
      expect(updated.pipeline.version).toBe(v + 1);
    }
    const versions = await client.call('ListPipelineVersions', { name, maxResults: 2 });
    expect(versions.pipelineVersions.map((v: any) => v.version)).toEqual([4, 3]);
    const rest = await client.call('ListPipelineVersions', { name, nextToken: versions.nextToken });
    expect(rest.pipelineVersions.map((v: any) => v.version)).toEqual([2, 1]);
    const old = await client.call('GetPipeline', { name, version: 2 });
    expect(old.pipeline.version).toBe(2);
    expect(old.pipeline.stages[1].actions[0].configuration.Commands).toBe('make v2');
    expect(old.metadata.version).toBe(4);
  });

  it('lets exactly one of several concurrent updates at the same expected version win', async () => {
    const name = uniqueName('race');
    await client.call('CreatePipeline', { pipeline: minimal(name) });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => client.call('UpdatePipeline', { pipeline: minimal(name), expectedVersion: 1 })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect((r as PromiseRejectedResult).reason.code).toBe(status.ABORTED);
    expect((await client.call('GetPipeline', { name })).metadata.version).toBe(2);
  });

  it('deletes: then GetPipeline is NOT_FOUND and the list no longer has it', async () => {
    const name = uniqueName('gone');
    await client.call('CreatePipeline', { pipeline: minimal(name) });
    await client.call('DeletePipeline', { name });
    expect((await rejected(client.call('GetPipeline', { name }))).code).toBe(status.NOT_FOUND);
    const all = await client.call('ListPipelines', { maxResults: 1000 });
    expect(all.pipelines.map((p: any) => p.name)).not.toContain(name);
    expect((await rejected(client.call('DeletePipeline', { name }))).code).toBe(status.NOT_FOUND);
  });

  it('publishes PipelineCreated on the pipeline-events topic as a CloudEvent keyed by the pipeline', async () => {
    const name = uniqueName('published');
    const kafka = new Kafka({ brokers: testEnv().kafkaBrokers, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: uniqueName('pd-test') });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.PipelineEvents, fromBeginning: false });
    const seen = new Promise<ReturnType<typeof decodeCloudEvent>>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === name) resolve(decodeCloudEvent(message));
        },
      });
    });
    await new Promise((r) => setTimeout(r, 1500)); // let the group join before the event is written
    await client.call('CreatePipeline', { pipeline: minimal(name) });
    const event = await seen;
    await consumer.disconnect();
    expect(event.type).toBe('pipewright.pipeline.v1.PipelineCreated');
    expect(event.subject).toBe(name);
    const data = pipelineV1.PipelineCreated.decode(event.data);
    expect(data).toMatchObject({ name, version: 1 });
    expect(data.declaration?.stages).toHaveLength(2);
  });

  describe('action types', () => {
    it('lists the catalog, the built-in providers and filters by owner', async () => {
      const all = await client.call('ListActionTypes', {});
      const keys = all.actionTypes.map((t: any) => `${t.id.category}/${t.id.owner}/${t.id.provider}/${t.kind}`);
      expect(keys).toEqual(expect.arrayContaining(['Build/AWS/CodeBuild/aws-catalog', 'Source/Pipewright/Git/built-in', 'Approval/AWS/Manual/aws-catalog']));
      const pipewright = await client.call('ListActionTypes', { actionOwnerFilter: 'Pipewright' });
      expect(pipewright.actionTypes.length).toBeGreaterThan(0);
      expect(pipewright.actionTypes.every((t: any) => t.id.owner === 'Pipewright')).toBe(true);
    });

    it('registers a custom type that pipelines may then use, whose actions wait for a worker', async () => {
      const provider = uniqueName('Deployer').replace(/_/g, '-').slice(0, 35);
      const type = { category: 'Deploy', provider, version: '1', configurationProperties: [{ name: 'Target', required: true, key: true, secret: false, queryable: true }], inputArtifactDetails: { minimumCount: 1, maximumCount: 1 }, outputArtifactDetails: { minimumCount: 0, maximumCount: 0 } };
      const created = await client.call('CreateCustomActionType', type);
      expect(created.actionType).toMatchObject({ id: { category: 'Deploy', owner: 'Custom', provider, version: '1' }, kind: 'custom' });
      expect((await rejected(client.call('CreateCustomActionType', type))).code).toBe(status.ALREADY_EXISTS);

      const name = uniqueName('custom');
      const pipeline = minimal(name);
      (pipeline.stages as any[]).push({ name: 'Ship', actions: [{ name: 'Out', actionTypeId: { category: 'Deploy', owner: 'Custom', provider, version: '1' }, configuration: { Target: 'prod' }, inputArtifacts: [{ name: 'Src' }] }] });
      const response = await client.call('CreatePipeline', { pipeline });
      expect(response.actionsAwaitingWorker).toEqual([{ stageName: 'Ship', actionName: 'Out', actionTypeId: { category: 'Deploy', owner: 'Custom', provider, version: '1' } }]);

      await client.call('DeleteCustomActionType', { category: 'Deploy', provider, version: '1' });
      expect((await rejected(client.call('DeleteCustomActionType', { category: 'Deploy', provider, version: '1' }))).code).toBe(status.NOT_FOUND);
      const again = await rejected(client.call('CreatePipeline', { pipeline: { ...pipeline, name: uniqueName('custom') } }));
      expect(again.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(again.metadata).map((p) => p.path)).toContain('pipeline.stages[2].actions[0].actionTypeId');
    });

    it('refuses an invalid custom type with every problem and its path', async () => {
      const error = await rejected(client.call('CreateCustomActionType', { category: 'Deploy', provider: 'bad provider!', version: '', inputArtifactDetails: { minimumCount: 3, maximumCount: 1 }, outputArtifactDetails: { minimumCount: 0, maximumCount: 0 } }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      const paths = problemsFromMetadata(error.metadata).map((p) => p.path);
      expect(paths).toEqual(expect.arrayContaining(['actionType.provider', 'actionType.version', 'actionType.inputArtifactDetails']));
    });

    it('accepts AWS types Pipewright cannot run and says which actions wait for a worker', async () => {
      const name = uniqueName('aws');
      const pipeline = minimal(name);
      pipeline.stages[1].actions[0] = { name: 'CodeBuild', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' }, configuration: { ProjectName: 'web' }, inputArtifacts: [{ name: 'Src' }] } as any;
      const response = await client.call('CreatePipeline', { pipeline });
      expect(response.actionsAwaitingWorker.map((a: any) => a.actionName)).toEqual(['CodeBuild']);
      const got = await client.call('GetPipeline', { name });
      expect(got.actionsAwaitingWorker).toEqual([{ stageName: 'Build', actionName: 'CodeBuild', actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } }]);
    });
  });

  describe('bad input: a clear INVALID_ARGUMENT, nothing stored, the service stays up', () => {
    const cases: [string, (name: string) => string][] = [
      ['malformed JSON', (name) => `{"pipeline": {"name": "${name}", "stages": [}`],
      ['malformed YAML', (name) => `pipeline:\n  name: ${name}\n  stages: [\n    - {`],
      ['a 10 MB declaration', (name) => JSON.stringify({ pipeline: { ...minimal(name), padding: 'x'.repeat(10 * 1024 * 1024) } })],
      ['deep nesting', (name) => `{"pipeline": {"name": "${name}", "stages": ${'['.repeat(5000)}${']'.repeat(5000)}}}`],
      ['unknown fields', (name) => JSON.stringify({ pipeline: { ...minimal(name), colour: 'blue' } })],
      ['wrong types', (name) => JSON.stringify({ pipeline: { ...minimal(name), stages: 'Source' } })],
      ['invalid UTF-8', (name) => `{"pipeline": {"name": "${name}", "stages": []}}`.replace('stages', 'st\uFFFDges')],
    ];
    it.each(cases)('%s', async (_label, make) => {
      const name = uniqueName('bad');
      const error = await rejected(client.call('CreatePipeline', { pipelineDocument: make(name) }));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(error.metadata).length).toBeGreaterThan(0);
      expect((await rejected(client.call('GetPipeline', { name }))).code).toBe(status.NOT_FOUND);
      await waitUntilServing(serviceAddress('pipeline-definition'), proc, 5000);
    });

    it('truly invalid UTF-8 bytes on the wire', async () => {
      const name = uniqueName('bad');
      const text = Buffer.concat([Buffer.from(`{"pipeline": {"name": "${name}", "x": "`), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}}')]);
      // CreatePipelineRequest field 3 (pipeline_document), length-delimited, written by hand so the bytes stay invalid.
      const frame = Buffer.concat([Buffer.from([(3 << 3) | 2]), varint(text.length), text]);
      const error = await new Promise<any>((resolve) =>
        (client.stub as any).makeUnaryRequest('/pipewright.pipeline.v1.PipelineService/CreatePipeline', (b: Buffer) => b, (b: Buffer) => b, frame, new Metadata(), {}, (err: unknown) => resolve(err)),
      );
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(error.details).toMatch(/UTF-8/);
      expect((await rejected(client.call('GetPipeline', { name }))).code).toBe(status.NOT_FOUND);
    });

    it('a request with no declaration at all', async () => {
      const error = await rejected(client.call('CreatePipeline', {}));
      expect(error.code).toBe(status.INVALID_ARGUMENT);
      expect(problemsFromMetadata(error.metadata)).toEqual([{ path: 'pipeline', message: expect.stringMatching(/required/) }]);
    });
  });
});
