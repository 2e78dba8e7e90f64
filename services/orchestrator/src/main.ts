import './otel';
import { runService } from '@pipewright/service-kit';
import { OrchestratorModule } from './orchestrator.module';

runService({ name: 'orchestrator', module: OrchestratorModule, serves: ['ExecutionService', 'JobService'] }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'orchestrator', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
