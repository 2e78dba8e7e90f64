import './otel';
import { runService } from '@pipewright/service-kit';
import { PipelineDefinitionModule } from './pipeline-definition.module';

runService({ name: 'pipeline-definition', module: PipelineDefinitionModule, serves: ['PipelineService', 'IdentityService', 'SecretService'] }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'pipeline-definition', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
