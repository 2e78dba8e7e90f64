import { Module } from '@nestjs/common';
import { PIPELINE_REPOSITORY, PostgresPipelineRepository } from './pipeline-repository';
import { PipelinesController } from './pipelines.controller';
import { PipelinesHandler } from './pipelines.handler';

@Module({
  controllers: [PipelinesController],
  providers: [PipelinesHandler, PostgresPipelineRepository, { provide: PIPELINE_REPOSITORY, useExisting: PostgresPipelineRepository }],
})
export class PipelinesModule {}
