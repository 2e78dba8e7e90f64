// Pipewright's contracts: the TypeScript generated from proto/ (never edited by hand; regenerate
// with `npm run gen`), grouped by proto package, plus what a process needs to load the .proto
// files at runtime for Nest's gRPC transport.
export * as commonV1 from './packages/common-v1';
export * as pipelineV1 from './packages/pipeline-v1';
export * as executionV1 from './packages/execution-v1';
export * as jobV1 from './packages/job-v1';
export * as artifactV1 from './packages/artifact-v1';
export * as notificationV1 from './packages/notification-v1';
export * as securityV1 from './packages/security-v1';
export { Timestamp, timestampFromDate, dateFromTimestamp } from './timestamp';
export { protoRoot, protoFiles, protoLoaderOptions, grpcTransportOptions } from './proto-files';
export type { ServiceProto, ServiceName } from './proto-files';
export { eventCatalog, isEventType } from './events';
export type { EventCodec, EventType, EventMessage } from './events';
export { errorMetadataKeys } from './errors';
