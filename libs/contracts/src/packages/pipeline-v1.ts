// Generated modules of pipewright.pipeline.v1 (libs/contracts/src/gen, from proto/pipewright/pipeline/v1).
export * from '../gen/pipewright/pipeline/v1/declaration';
export * from '../gen/pipewright/pipeline/v1/action_type';
export * from '../gen/pipewright/pipeline/v1/webhook';
export * from '../gen/pipewright/pipeline/v1/pipeline_service';
export * from '../gen/pipewright/pipeline/v1/events';
