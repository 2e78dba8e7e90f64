import { eventCatalog, executionV1 } from '@pipewright/contracts';
import { CloudEvent, CONTENT_TYPE_JSON, MalformedMessage } from '@pipewright/messaging';
import { EventTypeId } from '../rules/rule';

/** The four execution event types the orchestrator publishes, by ce_type. */
export const EXECUTION_EVENT_TYPES = {
  'pipewright.execution.v1.PipelineExecutionStateChange': 'pipelineExecutionStateChange',
  'pipewright.execution.v1.StageExecutionStateChange': 'stageExecutionStateChange',
  'pipewright.execution.v1.ActionExecutionStateChange': 'actionExecutionStateChange',
  'pipewright.execution.v1.ApprovalStateChange': 'approvalStateChange',
} as const;

export type ExecutionEventType = keyof typeof EXECUTION_EVENT_TYPES;

/** An execution event as this service keeps it: what rules and streams select on, and the payload's proto3 JSON. */
export interface ExecutionEvent {
  eventId: string;
  eventType: ExecutionEventType;
  /** '' for states no rule can select (STOPPING, STOPPED, ABANDONED). */
  eventTypeId: EventTypeId | '';
  pipeline: string;
  executionId: string;
  stage: string;
  action: string;
  state: string;
  time: Date;
  data: Record<string, unknown>;
}

// CodePipeline's ids by event and state (docs/events.md).
const ids: Record<ExecutionEventType, Record<string, EventTypeId>> = {
  'pipewright.execution.v1.PipelineExecutionStateChange': {
    STARTED: 'codepipeline-pipeline-pipeline-execution-started',
    SUCCEEDED: 'codepipeline-pipeline-pipeline-execution-succeeded',
    FAILED: 'codepipeline-pipeline-pipeline-execution-failed',
    SUPERSEDED: 'codepipeline-pipeline-pipeline-execution-superseded',
    CANCELED: 'codepipeline-pipeline-pipeline-execution-canceled',
    RESUMED: 'codepipeline-pipeline-pipeline-execution-resumed',
  },
  'pipewright.execution.v1.StageExecutionStateChange': {
    STARTED: 'codepipeline-pipeline-stage-execution-started',
    SUCCEEDED: 'codepipeline-pipeline-stage-execution-succeeded',
    FAILED: 'codepipeline-pipeline-stage-execution-failed',
    CANCELED: 'codepipeline-pipeline-stage-execution-canceled',
    RESUMED: 'codepipeline-pipeline-stage-execution-resumed',
  },
  'pipewright.execution.v1.ActionExecutionStateChange': {
    STARTED: 'codepipeline-pipeline-action-execution-started',
    SUCCEEDED: 'codepipeline-pipeline-action-execution-succeeded',
    FAILED: 'codepipeline-pipeline-action-execution-failed',
    CANCELED: 'codepipeline-pipeline-action-execution-canceled',
  },
  'pipewright.execution.v1.ApprovalStateChange': {
    NEEDED: 'codepipeline-pipeline-manual-approval-needed',
    APPROVED: 'codepipeline-pipeline-manual-approval-succeeded',
    REJECTED: 'codepipeline-pipeline-manual-approval-failed',
    EXPIRED: 'codepipeline-pipeline-manual-approval-failed',
  },
};

export function isExecutionEventType(type: string): type is ExecutionEventType {
  return Object.prototype.hasOwnProperty.call(EXECUTION_EVENT_TYPES, type);
}

type AnyChange = Partial<executionV1.PipelineExecutionStateChange & executionV1.StageExecutionStateChange & executionV1.ActionExecutionStateChange>;

/** Reads an execution CloudEvent (protobuf or JSON data); undefined for a type this service does not handle. */
export function readExecutionEvent(event: CloudEvent): ExecutionEvent | undefined {
  if (!isExecutionEventType(event.type)) return undefined;
  const codec = eventCatalog[event.type];
  let message: AnyChange;
  try {
    message = (event.datacontenttype.startsWith(CONTENT_TYPE_JSON)
      ? codec.fromJSON(JSON.parse(Buffer.from(event.data).toString('utf8')))
      : codec.decode(event.data)) as AnyChange;
  } catch (error) {
    throw new MalformedMessage(`${event.type} ${event.id}: ${(error as Error).message}`);
  }
  if (!message.pipeline) throw new MalformedMessage(`${event.type} ${event.id} names no pipeline`);
  const state = message.state ?? '';
  return {
    eventId: event.id,
    eventType: event.type,
    eventTypeId: ids[event.type][state] ?? '',
    pipeline: message.pipeline,
    executionId: message.executionId ?? '',
    stage: message.stage ?? '',
    action: message.action ?? '',
    state,
    time: event.time,
    data: (codec.toJSON as (m: unknown) => Record<string, unknown>)(message),
  };
}

/** CodePipeline's EventBridge detail-type of each event. */
export const DETAIL_TYPES: Record<ExecutionEventType, string> = {
  'pipewright.execution.v1.PipelineExecutionStateChange': 'CodePipeline Pipeline Execution State Change',
  'pipewright.execution.v1.StageExecutionStateChange': 'CodePipeline Stage Execution State Change',
  'pipewright.execution.v1.ActionExecutionStateChange': 'CodePipeline Action Execution State Change',
  'pipewright.execution.v1.ApprovalStateChange': 'CodePipeline Manual Approval State Change',
};
