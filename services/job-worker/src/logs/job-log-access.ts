import { Injectable, OnModuleInit } from '@nestjs/common';
import { provideResourceLookup } from '@pipewright/service-kit';
import { HandledJobsRepository } from '../jobs/handled-jobs.repository';

/**
 * GetJobLogs names a job id only: the guard asks which pipeline the job is of. The worker group
 * records each job's pipeline when it claims the job, before its log is opened; a job this group
 * never took belongs to no pipeline (only system-wide bindings may ask, and they get NOT_FOUND).
 */
@Injectable()
export class JobLogAccess implements OnModuleInit {
  constructor(private readonly handled: HandledJobsRepository) {}

  onModuleInit(): void {
    provideResourceLookup('JobLogService', async (_method, request) => {
      const jobId = (request as { jobId?: string }).jobId;
      const pipeline = jobId ? await this.handled.pipelineOf(jobId) : undefined;
      return pipeline ? { pipeline } : {};
    });
  }
}
