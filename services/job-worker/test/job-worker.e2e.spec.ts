import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { isProcessRunning } from '@pipewright/action-providers';
import { GrpcClient } from '@pipewright/service-kit';
import { testEnv, uniqueName } from '@pipewright/testing';
import { jobRequest, OrchestratorDouble } from './orchestrator-double';
import { downloadInto, jobLogs, LogMessage, removeTempDirs, Started, startArtifactService, startJobWorker, tempDir } from './processes';

// Jobs run real git, bash and artifact transfers on a shared 2-core machine: generous per-test limits.
jest.setTimeout(90_000);

const prefix = uniqueName('jw');
// Each worker process of this file takes only its own pipelines' jobs.
const pipeline = (name: string) => `${prefix}_main_${name}`;
const shortPipeline = (name: string) => `${prefix}_short_${name}`;

function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com', GIT_CONFIG_NOSYSTEM: '1', HOME: cwd };
  return execFileSync('git', args, { cwd, env, encoding: 'utf8' }).trim();
}

/** A real repository with two commits on main; returns both ids. */
function makeRepository(): { dir: string; first: string; second: string } {
  const dir = tempDir('pw-repo-');
  git(dir, 'init', '--quiet', '--initial-branch=main');
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app/version.txt'), 'v1\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'First version');
  const first = git(dir, 'rev-parse', 'HEAD');
  writeFileSync(join(dir, 'app/version.txt'), 'v2\n');
  writeFileSync(join(dir, 'README.md'), 'readme\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', 'Second version');
  return { dir, first, second: git(dir, 'rev-parse', 'HEAD') };
}

const logText = (messages: LogMessage[]) => messages.map((m) => m.text).join('');

async function waitForFile(file: string, empty = false): Promise<string> {
  while (!existsSync(file) || (!empty && readFileSync(file, 'utf8').trim() === '')) await sleep(50);
  return readFileSync(file, 'utf8').trim();
}

describe('job-worker (real artifact and job-worker processes, Kafka and PostgreSQL)', () => {
  let artifact: Started;
  let worker: Awaited<ReturnType<typeof startJobWorker>>;
  let artifacts: GrpcClient;
  let logs: GrpcClient;
  let orchestrator: OrchestratorDouble;
  const scratch = tempDir('pw-jw-test-');
  let sourceArtifact: { artifactId: string; sha256: string; sizeBytes: string };
  let repo: ReturnType<typeof makeRepository>;

  beforeAll(async () => {
    artifact = await startArtifactService();
    worker = await startJobWorker(artifact.address, `${prefix}_main_*`, { PIPEWRIGHT_JOB_DRAIN_MS: '1000' });
    artifacts = new GrpcClient('ArtifactService', artifact.address);
    logs = new GrpcClient('JobLogService', worker.address);
    orchestrator = new OrchestratorDouble(testEnv().kafkaBrokers, prefix, uniqueName('jw-orchestrator'));
    await orchestrator.start();
    repo = makeRepository();
  }, 240_000);

  afterAll(async () => {
    await orchestrator?.stop();
    artifacts?.close();
    logs?.close();
    await worker?.proc.stop();
    await artifact?.proc.stop();
    removeTempDirs();
  });

  it('checks out an exact older commit of a git repository: JobSucceeded with CommitId and an artifact holding its files', async () => {
    const job = jobRequest({ pipelineName: pipeline('git'), type: 'Source/Pipewright/Git', configuration: { RepositoryUrl: repo.dir, Branch: 'main', CommitId: repo.first }, outputArtifacts: ['Src'] });
    await orchestrator.request(job);
    const ack = await orchestrator.next(job.jobId, 'JobAcknowledged');
    expect(ack.data.nonce).toBe(job.nonce);
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobSucceeded');
    expect(result.data.nonce).toBe(job.nonce);
    expect(result.data.outputVariables.CommitId).toBe(repo.first);
    expect(result.data.outputVariables.BranchName).toBe('main');
    expect(result.data.currentRevision.revision).toBe(repo.first);
    const [output] = result.data.outputArtifacts;
    expect(output).toMatchObject({ name: 'Src', revision: repo.first });
    expect(output.location.artifactId).not.toBe('');
    expect(output.location.sha256).toMatch(/^[0-9a-f]{64}$/);
    sourceArtifact = { artifactId: output.location.artifactId, sha256: output.location.sha256, sizeBytes: String(output.location.sizeBytes) };

    const { dir, artifact: stored } = await downloadInto(artifacts, output.location.artifactId);
    expect(stored).toMatchObject({ name: 'Src', pipelineName: pipeline('git'), sha256: output.location.sha256 });
    expect(readdirSync(dir, { recursive: true }).map(String).sort()).toEqual(['app', 'app/version.txt']);
    expect(readFileSync(join(dir, 'app/version.txt'), 'utf8')).toBe('v1\n');
    expect(readdirSync(worker.workspaceRoot)).toEqual([]);
  });

  it('runs a shell build on that artifact and uploads its output; the log stays readable after the job', async () => {
    const job = jobRequest({
      pipelineName: pipeline('build'),
      type: 'Build/Pipewright/Shell',
      configuration: { Commands: 'mkdir -p dist\ncat app/version.txt > dist/built.txt\necho "building $PIPEWRIGHT_JOB_ID"' },
      inputArtifacts: [{ name: 'Src', location: sourceArtifact }],
      outputArtifacts: ['BuildOutput'],
    });
    await orchestrator.request(job);
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobSucceeded');
    const [output] = result.data.outputArtifacts;
    expect(output.name).toBe('BuildOutput');
    const { dir } = await downloadInto(artifacts, output.location.artifactId);
    expect(readFileSync(join(dir, 'dist/built.txt'), 'utf8')).toBe('v1\n');
    expect(readFileSync(join(dir, 'app/version.txt'), 'utf8')).toBe('v1\n');

    const after = await jobLogs(logs, { jobId: job.jobId });
    expect(logText(after)).toContain(`building ${job.jobId}`);
    expect(after[after.length - 1].endOfLog).toBe(true);
    expect(after.slice(0, -1).every((m) => !m.endOfLog)).toBe(true);
    const tail = logText(await jobLogs(logs, { jobId: job.jobId, tailLines: 2 }));
    expect(tail.split('\n').filter(Boolean)).toHaveLength(2);
    expect(logText(after).endsWith(tail)).toBe(true);
  });

  it('fails a job whose command fails: JobFailed with the exit code and the end of the log', async () => {
    const job = jobRequest({ pipelineName: pipeline('fail'), type: 'Test/Pipewright/Shell', configuration: { Commands: 'echo checking things\necho about to fail\nexit 3' }, inputArtifacts: [{ name: 'Src', location: sourceArtifact }] });
    await orchestrator.request(job);
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobFailed');
    expect(result.data.nonce).toBe(job.nonce);
    expect(result.data.failureDetails.type).toBe('JobFailed');
    expect(result.data.failureDetails.message).toContain('exit code 3');
    expect(result.data.failureDetails.message).toContain('about to fail');
  });

  it('fails a job whose input artifact does not exist, naming it', async () => {
    const job = jobRequest({
      pipelineName: pipeline('missing'),
      type: 'Build/Pipewright/Shell',
      configuration: { Commands: 'true' },
      inputArtifacts: [{ name: 'Src', location: { artifactId: 'no-such-artifact', sha256: '0'.repeat(64), sizeBytes: '10' } }],
    });
    await orchestrator.request(job);
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobFailed');
    expect(result.data.failureDetails.message).toContain('no-such-artifact');
  });

  it('streams the log while the job runs (follow) and ends the stream when the job ends', async () => {
    const gate = join(scratch, 'follow-gate');
    const job = jobRequest({ pipelineName: pipeline('follow'), type: 'Build/Pipewright/Shell', configuration: { Commands: `echo first line\nwhile [ ! -f ${gate} ]; do sleep 0.1; done\necho second line` }, inputArtifacts: [{ name: 'Src', location: sourceArtifact }] });
    await orchestrator.request(job);
    await orchestrator.next(job.jobId, 'JobAcknowledged');
    let seen = '';
    const followed = jobLogs(logs, { jobId: job.jobId, follow: true }, (m) => {
      seen += m.text;
      if (seen.includes('first line') && !existsSync(gate)) writeFileSync(gate, 'go');
    });
    const messages = await followed;
    const text = logText(messages);
    expect(text.indexOf('first line')).toBeLessThan(text.indexOf('second line'));
    expect(messages[messages.length - 1].endOfLog).toBe(true);
    expect((await orchestrator.result(job.jobId)).type).toBe('JobSucceeded');
    // Offsets say where each chunk sits in the file.
    for (const m of messages) expect(text.slice(Number(m.offset) - Number(messages[0].offset)).startsWith(m.text)).toBe(true);
  });

  it('GetJobLogs refuses an unknown job (NOT_FOUND) and a job id that is no id (INVALID_ARGUMENT)', async () => {
    await expect(jobLogs(logs, { jobId: 'no-such-job' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(jobLogs(logs, { jobId: '../../etc/passwd' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(jobLogs(logs, { jobId: '' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(jobLogs(logs, { jobId: 'x', tailLines: -1 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('kills a running job on JobCancelled: JobFailed, heartbeats before, no process left', async () => {
    const pidFile = join(scratch, 'cancel.pid');
    const job = jobRequest({ pipelineName: pipeline('cancel'), type: 'Build/Pipewright/Shell', configuration: { Commands: `sleep 300 &\necho $! > ${pidFile}\nwait` }, inputArtifacts: [{ name: 'Src', location: sourceArtifact }] });
    await orchestrator.request(job);
    const pid = Number(await waitForFile(pidFile));
    const heartbeat = await orchestrator.next(job.jobId, 'JobHeartbeat');
    expect(heartbeat.data.job).toMatchObject({ jobId: job.jobId, pipelineName: pipeline('cancel') });
    expect(heartbeat.data.nonce).toBe(job.nonce);
    // abandon=false too: the orchestrator cancels a job only when its action is over (abandoned or timed out).
    await orchestrator.cancel(job, 'the action timed out', false);
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobFailed');
    expect(result.data.failureDetails.message).toContain('cancelled: the action timed out');
    expect(await isProcessRunning(pid)).toBe(false);
  });

  it('runs at most PIPEWRIGHT_JOB_CONCURRENCY (2) jobs at once: a third waits for a free slot', async () => {
    const gated = (name: string) =>
      jobRequest({
        pipelineName: pipeline('slots'),
        type: 'Build/Pipewright/Shell',
        configuration: { Commands: `touch ${join(scratch, `${name}.started`)}\nwhile [ ! -f ${join(scratch, `${name}.gate`)} ]; do sleep 0.1; done` },
        inputArtifacts: [{ name: 'Src', location: sourceArtifact }],
      });
    const [a, b, c] = [gated('a'), gated('b'), gated('c')];
    for (const job of [a, b, c]) await orchestrator.request(job);
    await waitForFile(join(scratch, 'a.started'), true);
    await waitForFile(join(scratch, 'b.started'), true);
    while (!worker.proc.lines.some((line) => line.includes(`job ${c.jobId} requested`))) await sleep(50);
    expect(orchestrator.of(c.jobId)).toEqual([]);
    expect(existsSync(join(scratch, 'c.started'))).toBe(false);
    writeFileSync(join(scratch, 'a.gate'), '');
    await orchestrator.next(c.jobId, 'JobAcknowledged');
    const order = orchestrator.events.map((e) => `${e.jobId}:${e.type}`);
    expect(order.indexOf(`${c.jobId}:JobAcknowledged`)).toBeGreaterThan(order.indexOf(`${a.jobId}:JobSucceeded`));
    writeFileSync(join(scratch, 'b.gate'), '');
    writeFileSync(join(scratch, 'c.gate'), '');
    for (const job of [a, b, c]) expect((await orchestrator.result(job.jobId)).type).toBe('JobSucceeded');
  });

  it('runs the same job id once however often it is delivered, never runs a job cancelled before it came, and leaves custom action types to custom workers', async () => {
    const custom = jobRequest({ pipelineName: pipeline('dup'), type: 'Build/Custom/MyTool' });
    const job = jobRequest({ pipelineName: pipeline('dup'), type: 'Build/Pipewright/NoOp' });
    const after = jobRequest({ pipelineName: pipeline('dup'), type: 'Build/Pipewright/NoOp' });
    const cancelledFirst = jobRequest({ pipelineName: pipeline('dup'), type: 'Build/Pipewright/NoOp' });
    await orchestrator.cancel(cancelledFirst, 'abandoned', true);
    await orchestrator.request(cancelledFirst);
    await orchestrator.request(custom);
    await orchestrator.request(job);
    await orchestrator.result(job.jobId);
    await orchestrator.request(job);
    await orchestrator.request(after);
    // Same pipeline, same partition: when `after` is done, the repeat before it was read.
    expect((await orchestrator.result(after.jobId)).type).toBe('JobSucceeded');
    expect(orchestrator.of(job.jobId, 'JobAcknowledged')).toHaveLength(1);
    expect(orchestrator.of(job.jobId, 'JobSucceeded')).toHaveLength(1);
    expect(orchestrator.of(custom.jobId)).toEqual([]);
    expect(orchestrator.of(cancelledFirst.jobId)).toEqual([]);
  });

  describe('a worker whose jobs may run 2 seconds at most', () => {
    let short: Awaited<ReturnType<typeof startJobWorker>>;

    beforeAll(async () => {
      short = await startJobWorker(artifact.address, `${prefix}_short_*`, { PIPEWRIGHT_JOB_MAX_TIMEOUT_MS: '2000' });
    }, 180_000);

    afterAll(async () => {
      expect(await short?.proc.stop()).toEqual({ code: 0, signal: null });
    });

    it('fails a job past its timeout and leaves no process behind', async () => {
      const pidFile = join(scratch, 'timeout.pid');
      const job = jobRequest({ pipelineName: shortPipeline('timeout'), type: 'Build/Pipewright/Shell', configuration: { Commands: `sleep 300 &\necho $! > ${pidFile}\nwait` }, inputArtifacts: [{ name: 'Src', location: sourceArtifact }] });
      await orchestrator.request(job);
      const result = await orchestrator.result(job.jobId);
      expect(result.type).toBe('JobFailed');
      expect(result.data.failureDetails.message).toContain('timed out after 2000 ms');
      expect(await isProcessRunning(Number(await waitForFile(pidFile)))).toBe(false);
      expect(readdirSync(short.workspaceRoot)).toEqual([]);
    });
  });

  it('on SIGTERM stops taking jobs and fails the running one with "worker shutting down", then exits cleanly', async () => {
    const pidFile = join(scratch, 'shutdown.pid');
    const job = jobRequest({ pipelineName: pipeline('shutdown'), type: 'Build/Pipewright/Shell', configuration: { Commands: `sleep 300 &\necho $! > ${pidFile}\nwait` }, inputArtifacts: [{ name: 'Src', location: sourceArtifact }] });
    await orchestrator.request(job);
    const pid = Number(await waitForFile(pidFile));
    expect(await worker.proc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const result = await orchestrator.result(job.jobId);
    expect(result.type).toBe('JobFailed');
    expect(result.data.failureDetails).toMatchObject({ type: 'SystemUnavailable', message: expect.stringContaining('worker shutting down') });
    expect(await isProcessRunning(pid)).toBe(false);
  });
});
