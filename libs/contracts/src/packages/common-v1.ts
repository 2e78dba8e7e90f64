// Generated modules of pipewright.common.v1 (libs/contracts/src/gen, from proto/pipewright/common/v1).
export * from '../gen/pipewright/common/v1/common';
export * from '../gen/pipewright/common/v1/execution_input';
