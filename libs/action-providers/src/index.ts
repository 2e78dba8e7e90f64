export * from './job';
export * from './run-job';
export * from './providers';
export { LineLog } from './process/line-log';
export { runProcess, type ProcessResult, type RunProcessOptions } from './process/run-process';
export { isProcessRunning, liveGroupMembers, terminateGroup } from './process/process-group';
export { MASK, MaskingStream, SecretMasker } from './secrets/secret-masker';
export { secretReferences, substituteSecrets } from './secrets/secret-references';
