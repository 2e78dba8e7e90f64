import { Module } from '@nestjs/common';
import { ExecutionEngine } from './execution-engine';
import { ExecutionRequestsConsumer } from './execution-requests.consumer';
import { ExecutionTables } from './execution-tables';
import { ExecutionsController } from './executions.controller';
import { ExecutionsHandler } from './executions.handler';
import { JobEventsConsumer } from './job-events.consumer';
import { PipelineDeclarations } from './pipeline-declarations';
import { TimerPoller } from './timer-poller';

@Module({
  controllers: [ExecutionsController],
  providers: [ExecutionTables, ExecutionEngine, PipelineDeclarations, ExecutionsHandler, JobEventsConsumer, ExecutionRequestsConsumer, TimerPoller],
  exports: [ExecutionEngine, PipelineDeclarations],
})
export class ExecutionsModule {}
