import { createServer } from 'node:net';
import { join } from 'node:path';
import { clientChannel, serviceAddress, serviceDefaults, serviceEnvName, ServiceName, ServiceProcess, startServiceProcess, waitUntilServing } from '@pipewright/service-kit';
import { freePort, testEnv, uniqueName } from '@pipewright/testing';

export const SERVICES = Object.keys(serviceDefaults) as ServiceName[];

/**
 * A free port whose HTTP neighbour (port + 1000, where health and webhooks are served) is free too,
 * and neither of which another service of the platform was given (nothing listens on them yet).
 */
export async function servicePort(taken = new Set<number>()): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 > 65535 || taken.has(port) || taken.has(port + 1000)) continue;
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port + 1000, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (!free) continue;
    taken.add(port).add(port + 1000);
    return port;
  }
}

/**
 * The five services as processes on the shared broker and database, isolated from every other
 * platform a test may run at the same time: own ports, own schemas (so no other process's outbox
 * relay publishes this platform's rows), own consumer groups, and job-workers that take only
 * `pipelines`.
 */
export class Platform {
  readonly processes = new Map<ServiceName, ServiceProcess>();

  private constructor(readonly env: NodeJS.ProcessEnv) {}

  static async create(label: string, options: { scratch: string; pipelines: string[]; env?: NodeJS.ProcessEnv }): Promise<Platform> {
    const { databaseUrl, kafkaBrokers } = testEnv();
    const id = uniqueName(label);
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: kafkaBrokers.join(','),
      PIPEWRIGHT_POLL_INTERVAL_MS: '0',
      PIPEWRIGHT_PIPELINE_DEFINITION_SCHEMA: `${id}_pd`,
      PIPEWRIGHT_ARTIFACT_SCHEMA: `${id}_art`,
      PIPEWRIGHT_ORCHESTRATOR_SCHEMA: `${id}_orc`,
      PIPEWRIGHT_ORCHESTRATOR_GROUP_PREFIX: `${id}_orc`,
      PIPEWRIGHT_JOB_WORKER_SCHEMA: `${id}_jw`,
      PIPEWRIGHT_JOB_WORKER_GROUP: `${id}_jw`,
      PIPEWRIGHT_JOB_WORKER_PIPELINES: options.pipelines.join(','),
      PIPEWRIGHT_NOTIFICATION_SCHEMA: `${id}_nt`,
      PIPEWRIGHT_NOTIFICATION_GROUP_ID: `${id}_nt`,
      PIPEWRIGHT_NOTIFICATION_START_FROM: 'latest',
      PIPEWRIGHT_NOTIFICATION_ALLOW_PRIVATE_TARGETS: 'true',
      PIPEWRIGHT_WORKSPACE_ROOT: join(options.scratch, 'workspaces'),
      PIPEWRIGHT_JOB_LOG_ROOT: join(options.scratch, 'job-logs'),
      PIPEWRIGHT_ARTIFACT_ROOT: join(options.scratch, 'artifacts'),
      // Other suites left history on the shared topics: this platform's new groups start at the end.
      PIPEWRIGHT_CONSUMER_START_FROM: 'latest',
      ...options.env,
    };
    const taken = new Set<number>();
    for (const service of SERVICES) env[serviceEnvName(service, 'PORT')] = String(await servicePort(taken));
    return new Platform(env);
  }

  address(service: ServiceName): string {
    return serviceAddress(service, this.env);
  }

  /** Where the service serves HTTP (health, webhooks). */
  httpPort(service: ServiceName): number {
    return Number(this.env[serviceEnvName(service, 'PORT')]) + 1000;
  }

  async start(services: ServiceName[] = SERVICES): Promise<void> {
    await Promise.all(
      services.map((service) => {
        const proc = startServiceProcess(service, this.env);
        this.processes.set(service, proc);
        // Health is asked the way the platform's own processes talk: over mTLS when its env says so.
        return waitUntilServing(this.address(service), proc, 120_000, clientChannel({ ...process.env, ...this.env }));
      }),
    );
  }

  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.stop()));
  }

  /** The last lines of every process, for a failure message worth reading. */
  logs(lines = 40): string {
    return [...this.processes.values()].map((p) => `--- ${p.name}\n${p.lines.slice(-lines).join('\n')}`).join('\n');
  }
}
