// Generated modules of pipewright.artifact.v1 (libs/contracts/src/gen, from proto/pipewright/artifact/v1).
export * from '../gen/pipewright/artifact/v1/artifact';
export * from '../gen/pipewright/artifact/v1/artifact_service';
