import { Global, Module } from '@nestjs/common';
import { EventSourcingModule } from '@pipewright/service-kit';
import { WORKER_CONFIG, workerConfig } from './config';
import { JobsModule } from './jobs/jobs.module';
import { LogsModule } from './logs/logs.module';

const config = workerConfig();

@Global()
@Module({ providers: [{ provide: WORKER_CONFIG, useValue: config }], exports: [WORKER_CONFIG] })
class WorkerConfigModule {}

@Module({
  imports: [WorkerConfigModule, EventSourcingModule.forService({ service: 'job-worker', schema: config.schema }), LogsModule, JobsModule],
})
export class JobWorkerModule {}
