import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { Role } from '@pipewright/security';
import { eventually, rejected, testEnv, uniqueName } from '@pipewright/testing';
import { jobRequest, OrchestratorDouble } from '../services/job-worker/test/orchestrator-double';
import { lifecycle, Orchestrator, Receiver } from '../services/notification/test/support';
import { declaration, expectedOutcome, MatrixTeams, SecuredServices } from './security-support';

jest.setTimeout(300_000);

// The services beside pipeline-definition and the orchestrator: they ask IdentityService.Authorize.
const served = ['ArtifactService', 'JobLogService', 'NotificationService'] as const;
const STARTED = 'codepipeline-pipeline-pipeline-execution-started';

function operations(): { service: string; method: string; requestStream: boolean; responseStream: boolean }[] {
  return served.flatMap((service) => {
    const { package: pkg, protoPath } = protoFiles[service];
    const definition = loadSync([...protoPath], protoLoaderOptions)[`${pkg}.${service}`] as unknown as Record<string, { requestStream: boolean; responseStream: boolean }>;
    return Object.entries(definition).map(([method, d]) => ({ service, method, requestStream: d.requestStream, responseStream: d.responseStream }));
  });
}

/**
 * Team A owns one pipeline, team B another. Each has an artifact; A's pipeline has a job that ran on
 * the job-worker (its log), a notification rule and a delivery of that rule: every operation that
 * names only an id is decided on the pipeline the id belongs to.
 */
describe('authorization of artifact, job-worker and notification (real processes, PIPEWRIGHT_AUTH=required)', () => {
  const services = new SecuredServices();
  const teams = new MatrixTeams(services, 'secs');
  const { run, teamA, teamB } = teams;
  const pipeline = `${run}-pipeline`;
  const pipelineB = `${run}-pipeline-b`;
  const executionA = randomUUID();
  const executionB = randomUUID();
  const ruleA = `${run}-rule`;
  const bytesA = Buffer.from('the build output of team A');
  const rootToken = () => teams.rootToken();
  const as = (team: 'a' | 'b', role: Role) => services.token(teams.member(team, role));
  let artifactA: string;
  let artifactB: string;
  let jobA: string;
  let deliveryA: string;
  let receiver: Receiver;
  let executionEvents: Orchestrator;
  let jobs: OrchestratorDouble;

  const ruleOn = (name: string, pipelines: string[]) => ({ name, pipelines, eventTypeIds: [STARTED], targets: [{ type: 'webhook', address: receiver.url }] });
  const uploadTo = (pipelineName: string, pipelineExecutionId: string, token = rootToken(), bytes = bytesA) =>
    services.upload({ pipelineExecutionId, pipelineName, actionName: 'Build', name: 'out' }, bytes, token);

  beforeAll(async () => {
    await services.start(['artifact', 'job-worker', 'notification'], { workerPipelines: `${run}-*` });
    await teams.create();
    await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipeline) }, rootToken(), { 'pipewright-team': teamA });
    await services.call('PipelineService', 'CreatePipeline', { pipeline: declaration(pipelineB) }, rootToken(), { 'pipewright-team': teamB });
    artifactA = (await uploadTo(pipeline, executionA)).artifactId;
    artifactB = (await uploadTo(pipelineB, executionB)).artifactId;

    // A job of pipeline A, played over Kafka as the orchestrator would: the worker claims it (recording its pipeline) and logs it.
    jobs = new OrchestratorDouble(testEnv().kafkaBrokers, `${run}-`, uniqueName('secs-jobs'));
    await jobs.start();
    const job = jobRequest({ pipelineName: pipeline, type: 'Build/Pipewright/NoOp' });
    await jobs.request(job);
    await eventually('the job of pipeline A to finish', () => jobs.of(job.jobId).find((e) => e.type === 'JobSucceeded' || e.type === 'JobFailed'), 120_000, 200);
    jobA = job.jobId;

    // A rule on pipeline A and one delivery of it: execution events are published until the (latest-positioned) consumer records one.
    receiver = await Receiver.start();
    await services.call('NotificationService', 'CreateNotificationRule', { rule: ruleOn(ruleA, [pipeline]) }, rootToken());
    executionEvents = await Orchestrator.connect();
    deliveryA = await eventually(
      'a delivery of the rule on pipeline A',
      async () => {
        await executionEvents.publish([lifecycle(pipeline, executionA)[0]]);
        const { deliveries } = await services.call('NotificationService', 'ListDeliveries', { ruleName: ruleA }, rootToken());
        return deliveries[0]?.deliveryId as string | undefined;
      },
      90_000,
      1_000,
    );
  }, 300_000);

  afterAll(async () => {
    await jobs?.stop();
    await executionEvents?.disconnect();
    await receiver?.close();
    const exits = await services.stop();
    if (exits.some((e) => e.code !== 0)) console.log(services.logs());
    expect(exits.every((e) => e.code === 0)).toBe(true);
  });

  /** A request naming team A's resources; operations that remove what they name get a fresh one per call. */
  const requestFor = async (service: string, method: string) => {
    const shared = {
      artifactId: artifactA,
      pipelineExecutionId: executionA,
      jobId: jobA,
      name: ruleA,
      ruleName: ruleA,
      pipelineName: pipeline,
      rule: ruleOn(ruleA, [pipeline]),
      deliveryId: deliveryA,
      metadata: { pipelineName: pipeline, pipelineExecutionId: executionA, actionName: 'Build', name: 'out' },
    };
    if (`${service}/${method}` === 'ArtifactService/DeleteArtifact') return { artifactId: (await uploadTo(pipeline, executionA)).artifactId };
    if (`${service}/${method}` === 'NotificationService/DeleteNotificationRule') {
      const name = uniqueName(`${run}-doomed`).replace(/_/g, '-');
      await services.call('NotificationService', 'CreateNotificationRule', { rule: ruleOn(name, [pipeline]) }, rootToken());
      return { name };
    }
    return shared;
  };


  it.each(operations())('$service/$method answers each caller as its policy says', async ({ service, method, requestStream, responseStream }) => {
    const wrong: string[] = [];
    for (const caller of teams.callers()) {
      const want = expectedOutcome(service, method, caller);
      const request = await requestFor(service, method);
      const got =
        requestStream || responseStream
          ? await services.streamOutcome(service, method, request, { requestStream }, caller.bearer)
          : await services.outcome(service, method, request, caller.bearer);
      if (got.outcome !== want) wrong.push(`${caller.label}: expected ${want}, got ${got.outcome} (${got.detail})`);
    }
    expect(wrong).toEqual([]);
  });

  it('adds to the audit entries of artifact calls how each ended: an upload stored, an upload refused for its digest, a delete of nothing', async () => {
    const execution = randomUUID();
    await uploadTo(pipeline, execution);
    const mismatch = await services
      .upload({ pipelineExecutionId: execution, pipelineName: pipeline, actionName: 'Build', name: 'mismatch', expectedSha256: '0'.repeat(64) }, bytesA, rootToken())
      .catch((error: { code: number }) => error);
    expect(mismatch).toMatchObject({ code: status.DATA_LOSS });
    await expect(services.call('ArtifactService', 'DeleteArtifact', { artifactId: randomUUID() }, rootToken())).rejects.toMatchObject({ code: status.NOT_FOUND });

    const list = (request: object) => services.call('IdentityService', 'ListAuditEvents', request, rootToken());
    const results = async () => {
      const uploads = (await list({ pipeline, operation: 'UploadArtifact', maxResults: 1000 })).events.slice(-2);
      const deletes = (await list({ subject: services.root, operation: 'DeleteArtifact', maxResults: 1000 })).events.slice(-1);
      return [...uploads, ...deletes].map((e: any) => [e.operation, e.result]);
    };
    await eventually('the results of the artifact calls', async () => ((await results()).every(([, result]: string[]) => result !== '') ? true : undefined));
    expect(await results()).toEqual([
      ['ArtifactService/UploadArtifact', 'OK'],
      ['ArtifactService/UploadArtifact', 'DATA_LOSS'],
      ['ArtifactService/DeleteArtifact', 'NOT_FOUND'],
    ]);
  });

  describe('isolation of team B from team A', () => {
    const download = (artifactId: string, token: string) => services.stream('ArtifactService', 'DownloadArtifact', { artifactId }, token);
    const logOf = (jobId: string, token: string) => services.stream('JobLogService', 'GetJobLogs', { jobId }, token);
    /** How a unary call or a stream was answered: its status code and message. */
    const answer = async (call: Promise<unknown>) => {
      const result = (await call.catch((error: { code: number; details: string }) => error)) as { code?: number; details?: string };
      return { code: result.code ?? status.OK, details: result.details ?? '' };
    };

    it('given a viewer of team A, then it downloads, stats and lists its artifacts and reads its job logs', async () => {
      const viewer = as('a', 'viewer');

      const downloaded = await download(artifactA, viewer);
      const stat = await services.call('ArtifactService', 'StatArtifact', { artifactId: artifactA }, viewer);
      const list = await services.call('ArtifactService', 'ListArtifacts', { pipelineExecutionId: executionA }, viewer);
      const log = await logOf(jobA, viewer);

      const [first, ...chunks] = downloaded.messages;
      expect(downloaded.code).toBe(status.OK);
      expect(first.artifact).toMatchObject({ artifactId: artifactA, pipelineName: pipeline });
      expect(Buffer.concat(chunks.map((c) => c.chunk))).toEqual(bytesA);
      expect(stat.artifact).toMatchObject({ artifactId: artifactA, pipelineName: pipeline });
      expect(list.artifacts.map((a: { artifactId: string }) => a.artifactId)).toContain(artifactA);
      expect(log.code).toBe(status.OK);
      expect(log.messages.map((m) => m.text).join('')).toContain(`job ${jobA}`);
      expect(log.messages.at(-1)?.endOfLog).toBe(true);
    });

    it('given every role of team B, then each artifact and log read of team A is PERMISSION_DENIED, worded as for an id that does not exist', async () => {
      const unknownArtifact = randomUUID();
      for (const role of ['viewer', 'operator', 'admin', 'worker'] as const) {
        const token = as('b', role);
        const pairs: Promise<unknown>[][] = [
          [download(artifactA, token), download(unknownArtifact, token)],
          [services.call('ArtifactService', 'StatArtifact', { artifactId: artifactA }, token), services.call('ArtifactService', 'StatArtifact', { artifactId: unknownArtifact }, token)],
          [services.call('ArtifactService', 'ListArtifacts', { pipelineExecutionId: executionA }, token), services.call('ArtifactService', 'ListArtifacts', { pipelineExecutionId: randomUUID() }, token)],
          [logOf(jobA, token), logOf(`${run}-no-such-job`, token)],
        ];
        for (const [ofA, ofNobody] of pairs) {
          const [a, nobody] = [await answer(ofA), await answer(ofNobody)];
          expect(a.code).toBe(status.PERMISSION_DENIED);
          expect(a.details).toBe(nobody.details);
          expect(a.details).not.toContain(pipeline);
        }
      }
      // B's own artifact stays readable to B.
      await expect(services.call('ArtifactService', 'StatArtifact', { artifactId: artifactB }, as('b', 'viewer'))).resolves.toMatchObject({ artifact: { pipelineName: pipelineB } });
    });

    it('given a system-wide worker, then it reaches every pipeline\'s artifacts, and an unknown id is NOT_FOUND', async () => {
      const worker = services.token(`${run}-system-worker`);
      await services.call('IdentityService', 'PutRoleBinding', { binding: { subject: `${run}-system-worker`, team: '*', role: 'worker' } }, rootToken());

      await expect(services.call('ArtifactService', 'StatArtifact', { artifactId: artifactA }, worker)).resolves.toMatchObject({ artifact: { pipelineName: pipeline } });
      await expect(services.call('ArtifactService', 'StatArtifact', { artifactId: artifactB }, worker)).resolves.toMatchObject({ artifact: { pipelineName: pipelineB } });
      expect((await rejected(services.call('ArtifactService', 'StatArtifact', { artifactId: randomUUID() }, worker))).code).toBe(status.NOT_FOUND);
    });

    it('given a job token of a pipeline A job, then it downloads and uploads A\'s artifacts only, and reads no log', async () => {
      const jobToken = services.jobToken(pipeline);

      const downloaded = await download(artifactA, jobToken);
      const uploaded = await uploadTo(pipeline, executionA, jobToken, Buffer.from('written by the job'));
      const ofB = await download(artifactB, jobToken);
      const uploadToB = await rejected(uploadTo(pipelineB, executionB, jobToken));
      const log = await logOf(jobA, jobToken);

      const [first, ...chunks] = downloaded.messages;
      expect(first.artifact.artifactId).toBe(artifactA);
      expect(Buffer.concat(chunks.map((c) => c.chunk))).toEqual(bytesA);
      expect(uploaded.pipelineName).toBe(pipeline);
      expect(ofB).toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining(`it is scoped to pipeline "${pipeline}"`) });
      expect(uploadToB.code).toBe(status.PERMISSION_DENIED);
      expect(log.code).toBe(status.PERMISSION_DENIED);
      // Nothing was stored for B by the refused upload.
      const listedB = await services.call('ArtifactService', 'ListArtifacts', { pipelineExecutionId: executionB }, rootToken());
      expect(listedB.artifacts.map((a: { artifactId: string }) => a.artifactId)).toEqual([artifactB]);
    });

    it('given an admin of team B, then A\'s deliveries, their redelivery and A\'s rule are PERMISSION_DENIED; A\'s admin may', async () => {
      const adminB = as('b', 'admin');
      const adminA = as('a', 'admin');

      for (const call of [
        services.call('NotificationService', 'ListDeliveries', { ruleName: ruleA }, adminB),
        services.call('NotificationService', 'ListDeliveries', {}, adminB),
        services.call('NotificationService', 'RedeliverNotification', { deliveryId: deliveryA }, adminB),
        services.call('NotificationService', 'DeleteNotificationRule', { name: ruleA }, adminB),
        // Moving A's rule onto B's pipeline would hand it over.
        services.call('NotificationService', 'UpdateNotificationRule', { rule: ruleOn(ruleA, [pipelineB]) }, adminB),
      ]) {
        expect((await rejected(call)).code).toBe(status.PERMISSION_DENIED);
      }
      const redeliverB = await rejected(services.call('NotificationService', 'RedeliverNotification', { deliveryId: deliveryA }, adminB));
      const redeliverUnknown = await rejected(services.call('NotificationService', 'RedeliverNotification', { deliveryId: randomUUID() }, adminB));
      expect(redeliverB.details).toBe(redeliverUnknown.details);

      const listed = await services.call('NotificationService', 'ListDeliveries', { ruleName: ruleA }, adminA);
      expect(listed.deliveries.map((d: { deliveryId: string }) => d.deliveryId)).toContain(deliveryA);
      expect(new Set(listed.deliveries.map((d: { pipelineName: string }) => d.pipelineName))).toEqual(new Set([pipeline]));
      // Only a finished delivery is sent again; an allowed caller reaches the handler either way.
      const redelivered = await services.outcome('NotificationService', 'RedeliverNotification', { deliveryId: deliveryA }, adminA);
      expect(redelivered.outcome).toBe('ALLOWED');
      const rules = await services.call('NotificationService', 'ListNotificationRules', { pipelineName: pipeline }, as('a', 'viewer'));
      expect(rules.rules.map((r: { name: string; pipelines: string[] }) => [r.name, r.pipelines])).toContainEqual([ruleA, [pipeline]]);
    });

    it('given a viewer of team B, then WatchEvents without a pipeline or on A\'s is refused, and on its own pipeline carries nothing of A\'s', async () => {
      const viewerB = as('b', 'viewer');

      const unnamed = await services.streamOutcome('NotificationService', 'WatchEvents', { afterPosition: '0' }, { requestStream: false }, viewerB);
      const ofA = await services.streamOutcome('NotificationService', 'WatchEvents', { pipelineName: pipeline, afterPosition: '0' }, { requestStream: false }, viewerB);
      const own = await services.stream('NotificationService', 'WatchEvents', { pipelineName: pipelineB, pipelineExecutionId: executionA, afterPosition: '0' }, viewerB, 3_000);
      const seenByA = await services.stream('NotificationService', 'WatchEvents', { pipelineName: pipeline, afterPosition: '0' }, as('a', 'viewer'), 3_000);

      expect(unnamed).toMatchObject({ outcome: 'PERMISSION_DENIED', detail: expect.stringContaining('every pipeline') });
      expect(ofA).toMatchObject({ outcome: 'PERMISSION_DENIED', detail: expect.stringContaining(`pipeline "${pipeline}"`) });
      // An allowed watch stays open until its deadline.
      expect(own).toMatchObject({ code: status.DEADLINE_EXCEEDED, messages: [] });
      expect(seenByA.code).toBe(status.DEADLINE_EXCEEDED);
      expect(seenByA.messages.length).toBeGreaterThan(0);
      expect(new Set(seenByA.messages.map((m) => m.pipelineExecutionStateChange?.pipeline))).toEqual(new Set([pipeline]));
    });
  });
});
