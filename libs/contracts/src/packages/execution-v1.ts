// Generated modules of pipewright.execution.v1 (libs/contracts/src/gen, from proto/pipewright/execution/v1).
export * from '../gen/pipewright/execution/v1/state';
export * from '../gen/pipewright/execution/v1/execution_service';
export * from '../gen/pipewright/execution/v1/events';
