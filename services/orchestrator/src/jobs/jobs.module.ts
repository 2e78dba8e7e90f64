import { Module } from '@nestjs/common';
import { ExecutionsModule } from '../executions/executions.module';
import { JobsController } from './jobs.controller';
import { JobsHandler } from './jobs.handler';
import { jobsConfig } from './jobs-config';
import { JOBS_CONFIG } from './jobs.tokens';
import { PendingJobs } from './pending-jobs';

/** JobService: the job queue for workers outside Pipewright, fed by the execution engine's dispatches. */
@Module({
  imports: [ExecutionsModule],
  controllers: [JobsController],
  providers: [PendingJobs, JobsHandler, { provide: JOBS_CONFIG, useValue: jobsConfig() }],
})
export class JobsModule {}
