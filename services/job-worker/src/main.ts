import './otel';
import { runService } from '@pipewright/service-kit';
import { JobWorkerModule } from './job-worker.module';

runService({ name: 'job-worker', module: JobWorkerModule }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'job-worker', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
