// Generated modules of pipewright.security.v1 (libs/contracts/src/gen, from proto/pipewright/security/v1).
export * from '../gen/pipewright/security/v1/identity_service';
export * from '../gen/pipewright/security/v1/secret_service';
