import { Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { orchestratorSchema } from './config';
import { ExecutionsModule } from './executions/executions.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';

@Module({
  imports: [EventSourcingModule.forService({ service: 'orchestrator', schema: orchestratorSchema() }), ExecutionsModule, JobsModule, MetricsModule],
})
export class OrchestratorModule {}
