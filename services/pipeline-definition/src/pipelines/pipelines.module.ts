import { Module } from '@nestjs/common';
import { ActionTypesModule } from '../action-types/action-types.module';
import { IdentityModule } from '../identity/identity.module';
import { PIPELINE_REPOSITORY, PostgresPipelineRepository } from './pipeline-repository';
import { PipelinesController } from './pipelines.controller';
import { PipelinesHandler } from './pipelines.handler';

@Module({
  imports: [ActionTypesModule, IdentityModule],
  controllers: [PipelinesController],
  providers: [PipelinesHandler, PostgresPipelineRepository, { provide: PIPELINE_REPOSITORY, useExisting: PostgresPipelineRepository }],
})
export class PipelinesModule {}
