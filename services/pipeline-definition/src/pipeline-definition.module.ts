import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { IdentityModule } from './identity/identity.module';
import { PipelinesModule } from './pipelines/pipelines.module';
import { SecretsModule } from './secrets/secrets.module';
import { TriggersModule } from './triggers/triggers.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'pipeline-definition', schema: process.env.PIPEWRIGHT_PIPELINE_DEFINITION_SCHEMA || 'pipeline_definition' }), IdentityModule, PipelinesModule, SecretsModule, TriggersModule],
})
export class PipelineDefinitionModule {}
