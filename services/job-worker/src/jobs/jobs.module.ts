import { Module } from '@nestjs/common';
import { serviceAddress } from '@pipewright/service-kit';
import { JobLogAccess } from '../logs/job-log-access';
import { LogsModule } from '../logs/logs.module';
import { ArtifactClient } from './artifact-client';
import { HandledJobsRepository } from './handled-jobs.repository';
import { JobEventsPublisher } from './job-events.publisher';
import { JobRequestsConsumer } from './job-requests.consumer';
import { ARTIFACT_CLIENT, JOB_SECRETS, JobRunner } from './job-runner';
import { JobSecrets } from './job-secrets';
import { JobScheduler } from './job-scheduler';

const artifactClient = {
  provide: ARTIFACT_CLIENT,
  useFactory: () => new ArtifactClient(serviceAddress('artifact')),
};

const jobSecrets = {
  provide: JOB_SECRETS,
  useFactory: () => new JobSecrets(serviceAddress('pipeline-definition')),
};

@Module({
  imports: [LogsModule],
  // JobLogAccess: the log's pipeline comes from the jobs this group claimed (HandledJobsRepository).
  providers: [artifactClient, jobSecrets, HandledJobsRepository, JobEventsPublisher, JobRunner, JobScheduler, JobRequestsConsumer, JobLogAccess],
})
export class JobsModule {}
