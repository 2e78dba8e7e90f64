import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { PipelinesModule } from './pipelines/pipelines.module';
import { TriggersModule } from './triggers/triggers.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'pipeline-definition', schema: 'pipeline_definition' }), PipelinesModule, TriggersModule],
})
export class PipelineDefinitionModule {}
