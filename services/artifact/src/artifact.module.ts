import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { ArtifactsModule } from './artifacts/artifacts.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'artifact', schema: 'artifact' }), ArtifactsModule],
})
export class ArtifactModule {}
