/**
 * The one-command start (`npm start`): the infrastructure, the five services as separate processes
 * (each waited on until its gRPC health answers SERVING; their JSON logs go to .data/logs/), then
 * the sample: a git repository with the sample app, the sample pipeline pointed at it, a commit
 * that the pipeline's git polling picks up, and the live view until the approval, with the command
 * that approves it. Ctrl-C stops the services cleanly. `npm start -- --no-sample` skips the sample.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GrpcClient, serviceAddress, serviceDefaults, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing, workspaceRoot } from '@pipewright/service-kit';

const data = join(workspaceRoot, '.data');
const logs = join(data, 'logs');
const sampleRepo = join(data, 'sample-repo');
const sampleDeploy = join(data, 'sample-deploy');

function infraUp(): NodeJS.ProcessEnv {
  const out = execFileSync('bash', [join(workspaceRoot, 'scripts/infra.sh'), 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: NodeJS.ProcessEnv = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: sampleRepo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'Pipewright Sample', GIT_AUTHOR_EMAIL: 'sample@pipewright.local', GIT_COMMITTER_NAME: 'Pipewright Sample', GIT_COMMITTER_EMAIL: 'sample@pipewright.local' } }).trim();
}

/** The sample app in a git repository of its own, created once and kept between starts. */
function sampleRepository(): void {
  if (existsSync(join(sampleRepo, '.git'))) return;
  mkdirSync(sampleRepo, { recursive: true });
  cpSync(join(workspaceRoot, 'examples/sample-app'), sampleRepo, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'The sample app');
}

async function samplePipeline(): Promise<string> {
  const document = JSON.parse(readFileSync(join(workspaceRoot, 'examples/sample-pipeline.json'), 'utf8'));
  const stages = document.pipeline.stages as { actions: { configuration: Record<string, string> }[] }[];
  stages[0].actions[0].configuration.RepositoryUrl = sampleRepo;
  stages[4].actions[0].configuration.TargetDirectory = sampleDeploy;
  const pipelines = new GrpcClient('PipelineService', serviceAddress('pipeline-definition'));
  try {
    await pipelines.call('GetPipeline', { name: document.pipeline.name });
    await pipelines.call('UpdatePipeline', { pipelineDocument: JSON.stringify(document) });
  } catch (error) {
    if ((error as { code?: number }).code !== 5) throw error;
    await pipelines.call('CreatePipeline', { pipelineDocument: JSON.stringify(document) });
  } finally {
    pipelines.close();
  }
  return document.pipeline.name as string;
}

async function main() {
  const withSample = !process.argv.includes('--no-sample');
  const env = { ...infraUp(), PIPEWRIGHT_POLL_INTERVAL_MS: process.env.PIPEWRIGHT_POLL_INTERVAL_MS ?? '2000' };
  mkdirSync(logs, { recursive: true });
  const running: ServiceProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[start] stopping the services');
    await Promise.all(running.map((p) => p.stop('SIGTERM')));
    console.log('[start] stopped (the infrastructure keeps running: npm run infra:down stops the broker)');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (const name of Object.keys(serviceDefaults) as ServiceName[]) {
    const proc = startServiceProcess(name, env);
    running.push(proc);
    const log = createWriteStream(join(logs, `${name}.log`), { flags: 'a' });
    proc.child.stdout!.pipe(log);
    proc.child.stderr!.pipe(log);
    proc.exited.then(({ code, signal }) => {
      if (!stopping) {
        console.error(`[start] ${name} exited (code ${code}, signal ${signal}): see .data/logs/${name}.log; stopping everything`);
        void stopAll(1);
      }
    });
  }
  await Promise.all(running.map((p) => waitUntilServing(serviceAddress(p.name as ServiceName), p)));
  console.log('[start] all five services are SERVING (logs in .data/logs/):');
  for (const p of running) console.log(`  ${p.name.padEnd(20)} ${serviceAddress(p.name as ServiceName)}`);
  if (!withSample) {
    console.log('[start] Ctrl-C stops them');
    return;
  }

  sampleRepository();
  rmSync(sampleDeploy, { recursive: true, force: true });
  const pipeline = await samplePipeline();
  console.log(`[start] pipeline ${pipeline} watches ${sampleRepo} (git polling every ${env.PIPEWRIGHT_POLL_INTERVAL_MS} ms)`);
  // The first poll records where the branch is; the change after it is what runs.
  await new Promise((r) => setTimeout(r, Number(env.PIPEWRIGHT_POLL_INTERVAL_MS) * 2));
  writeFileSync(join(sampleRepo, 'CHANGES.md'), `- change made by npm start at ${new Date().toISOString()}\n`, { flag: 'a' });
  git('add', '-A');
  git('commit', '-q', '-m', 'A change for the sample pipeline');
  console.log(`[start] committed ${git('rev-parse', '--short', 'HEAD')} to the sample repository; watching the execution:\n`);
  const watch = spawn(join(workspaceRoot, 'node_modules/.bin/pipewright'), ['watch', pipeline], { stdio: 'inherit' });
  await new Promise((r) => watch.once('exit', r));
  console.log('\n[start] then: pipewright state sample-app | pipewright executions sample-app | ls .data/sample-deploy/current');
  console.log('[start] the services keep running; Ctrl-C stops them');
}

main().catch((error) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
