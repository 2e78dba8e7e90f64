// Generated modules of pipewright.job.v1 (libs/contracts/src/gen, from proto/pipewright/job/v1).
export * from '../gen/pipewright/job/v1/job';
export * from '../gen/pipewright/job/v1/job_service';
export * from '../gen/pipewright/job/v1/job_log_service';
export * from '../gen/pipewright/job/v1/events';
