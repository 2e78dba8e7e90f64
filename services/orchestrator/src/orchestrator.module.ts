import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { orchestratorSchema } from './config';
import { ExecutionsModule } from './executions/executions.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'orchestrator', schema: orchestratorSchema() }), ExecutionsModule],
})
export class OrchestratorModule {}
