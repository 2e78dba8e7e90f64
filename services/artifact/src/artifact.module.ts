import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { RetentionModule } from './artifacts/retention.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'artifact', schema: process.env.PIPEWRIGHT_ARTIFACT_SCHEMA || 'artifact' }), ArtifactsModule, RetentionModule],
})
export class ArtifactModule {}
