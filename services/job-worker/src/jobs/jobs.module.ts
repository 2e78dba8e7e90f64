import { Module } from '@nestjs/common';
import { serviceAddress } from '@pipewright/service-kit';
import { LogsModule } from '../logs/logs.module';
import { ArtifactClient } from './artifact-client';
import { HandledJobsRepository } from './handled-jobs.repository';
import { JobEventsPublisher } from './job-events.publisher';
import { JobRequestsConsumer } from './job-requests.consumer';
import { ARTIFACT_CLIENT, JobRunner } from './job-runner';
import { JobScheduler } from './job-scheduler';

const artifactClient = {
  provide: ARTIFACT_CLIENT,
  useFactory: () => new ArtifactClient(serviceAddress('artifact')),
};

@Module({
  imports: [LogsModule],
  providers: [artifactClient, HandledJobsRepository, JobEventsPublisher, JobRunner, JobScheduler, JobRequestsConsumer],
})
export class JobsModule {}
