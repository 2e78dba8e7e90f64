/**
 * The one-command start: infrastructure, then the five services as separate processes, each
 * waited on until its gRPC health answers SERVING. Ctrl-C stops everything cleanly.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serviceAddress, serviceDefaults, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing, workspaceRoot } from '@pipewright/service-kit';

function infraUp(): NodeJS.ProcessEnv {
  const out = execFileSync('bash', [join(workspaceRoot, 'scripts/infra.sh'), 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const env: NodeJS.ProcessEnv = {};
  for (const line of out.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

async function main() {
  const env = infraUp();
  const running: ServiceProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('[start] stopping the services');
    await Promise.all(running.map((p) => p.stop('SIGTERM')));
    console.log('[start] stopped (the infrastructure keeps running: npm run infra:down stops the broker)');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (const name of Object.keys(serviceDefaults) as ServiceName[]) {
    const proc = startServiceProcess(name, env);
    running.push(proc);
    proc.child.stdout!.on('data', (chunk: Buffer) => process.stdout.write(prefix(name, chunk)));
    proc.child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(prefix(name, chunk)));
    proc.exited.then(({ code, signal }) => {
      if (!stopping) {
        console.error(`[start] ${name} exited (code ${code}, signal ${signal}); stopping everything`);
        void stopAll(1);
      }
    });
  }
  await Promise.all(running.map((p) => waitUntilServing(serviceAddress(p.name as ServiceName), p)));
  console.log('[start] all five services are SERVING:');
  for (const p of running) console.log(`  ${p.name.padEnd(20)} ${serviceAddress(p.name as ServiceName)}`);
  console.log('[start] Ctrl-C stops them');
}

function prefix(name: string, chunk: Buffer): string {
  return chunk
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => `${name.padEnd(20)} | ${line}\n`)
    .join('');
}

main().catch((error) => {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
