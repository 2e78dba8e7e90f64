import './otel';
import { runService } from '@pipewright/service-kit';
import { ArtifactModule } from './artifact.module';

runService({ name: 'artifact', module: ArtifactModule, serves: ['ArtifactService'] }).catch((error: unknown) => {
  console.error(JSON.stringify({ level: 'fatal', service: 'artifact', msg: 'failed to start', error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
});
