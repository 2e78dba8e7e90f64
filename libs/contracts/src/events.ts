import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import * as executionV1 from './packages/execution-v1';
import * as jobV1 from './packages/job-v1';
import * as pipelineV1 from './packages/pipeline-v1';

/** The generated codec of one message type: binary (application/protobuf) and JSON. */
export interface EventCodec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
  fromJSON(object: unknown): T;
  toJSON(message: T): unknown;
}

/**
 * The codec of every event type, keyed by its CloudEvents `ce_type` (the message's fully qualified
 * name). Which topic carries which type: docs/events.md (topic names: @pipewright/messaging).
 */
export const eventCatalog = {
  'pipewright.pipeline.v1.PipelineCreated': pipelineV1.PipelineCreated,
  'pipewright.pipeline.v1.PipelineUpdated': pipelineV1.PipelineUpdated,
  'pipewright.pipeline.v1.PipelineDeleted': pipelineV1.PipelineDeleted,
  'pipewright.pipeline.v1.ExecutionRequested': pipelineV1.ExecutionRequested,
  'pipewright.execution.v1.PipelineExecutionStateChange': executionV1.PipelineExecutionStateChange,
  'pipewright.execution.v1.StageExecutionStateChange': executionV1.StageExecutionStateChange,
  'pipewright.execution.v1.ActionExecutionStateChange': executionV1.ActionExecutionStateChange,
  'pipewright.execution.v1.ApprovalStateChange': executionV1.ApprovalStateChange,
  'pipewright.job.v1.JobRequested': jobV1.JobRequested,
  'pipewright.job.v1.JobCancelled': jobV1.JobCancelled,
  'pipewright.job.v1.JobAcknowledged': jobV1.JobAcknowledged,
  'pipewright.job.v1.JobHeartbeat': jobV1.JobHeartbeat,
  'pipewright.job.v1.JobSucceeded': jobV1.JobSucceeded,
  'pipewright.job.v1.JobFailed': jobV1.JobFailed,
} as const satisfies Record<string, EventCodec<any>>;

export type EventType = keyof typeof eventCatalog;

/** The message type of an event type, e.g. EventMessage<'pipewright.job.v1.JobRequested'>. */
export type EventMessage<K extends EventType> =
  (typeof eventCatalog)[K] extends EventCodec<infer T> ? T : never;

export function isEventType(type: string): type is EventType {
  return Object.prototype.hasOwnProperty.call(eventCatalog, type);
}
