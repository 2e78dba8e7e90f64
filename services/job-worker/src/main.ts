import './otel';
import { runService } from '@pipewright/service-kit';
import { workerConfig } from './config';
import { JobWorkerModule } from './job-worker.module';

// SIGTERM lets running jobs drain, then fail them and publish the failures: the grace covers both.
runService({ name: 'job-worker', module: JobWorkerModule, serves: ['JobLogService'], shutdownGraceMs: workerConfig().drainMs + 15_000 }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'job-worker', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
