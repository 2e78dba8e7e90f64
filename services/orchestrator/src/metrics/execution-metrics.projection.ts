import { Injectable } from '@nestjs/common';
import { EventStoreTransaction, Projection, RecordedEvent } from '@pipewright/event-store';
import { ExecutionEvent } from '@pipewright/execution-domain';
import { counter, histogram } from '@pipewright/telemetry';

type Observation =
  | { metric: 'execution'; pipeline: string; status: string }
  | { metric: 'actionDuration'; seconds: number; provider: string; category: string; status: string }
  | { metric: 'dispatchLatency'; seconds: number; provider: string; category: string };

interface Started {
  stream: string;
  at: string;
  provider: string;
  category: string;
}

const FINISHED: Partial<Record<ExecutionEvent['type'], string>> = {
  PipelineExecutionSucceeded: 'Succeeded',
  PipelineExecutionFailed: 'Failed',
  PipelineExecutionStopped: 'Stopped',
  PipelineExecutionSuperseded: 'Superseded',
};

const ACTION_ENDS: Partial<Record<ExecutionEvent['type'], string>> = {
  ActionExecutionSucceeded: 'Succeeded',
  ActionExecutionFailed: 'Failed',
  ActionExecutionAbandoned: 'Abandoned',
};

const STREAM_PREFIX = 'execution-';
const seconds = (from: string, to: string) => Math.max(0, Date.parse(to) - Date.parse(from)) / 1000;

/**
 * The orchestrator's execution metrics, counted from the log as a projection: each recorded event
 * is observed once (the checkpoint is shared by every instance and survives restarts), and only
 * after its batch committed. Loading a stream to decide never counts. A new deployment starts at
 * the log's end rather than counting history (see ExecutionMetricsProjection.startAtEnd).
 */
@Injectable()
export class ExecutionMetricsProjection implements Projection {
  readonly name = 'execution-metrics';
  /** Pipeline of each execution stream, and open action attempts and jobs, to pair ends with starts. */
  private readonly pipelines = new Map<string, string>();
  private readonly attempts = new Map<string, Started>();
  private readonly jobs = new Map<string, Started>();
  private buffered: Observation[] = [];

  /** Metrics are not a read model: nothing to empty. */
  async reset(): Promise<void> {}

  async apply(recorded: RecordedEvent, tx: EventStoreTransaction): Promise<void> {
    if (!recorded.streamId.startsWith(STREAM_PREFIX)) return;
    const event = { type: recorded.type, data: recorded.data } as ExecutionEvent;
    const stream = recorded.streamId;
    if (event.type === 'PipelineExecutionStarted') {
      this.remember(stream, event);
      this.buffered.push({ metric: 'execution', pipeline: event.data.pipelineName, status: 'Started' });
      return;
    }
    const status = FINISHED[event.type];
    if (status) {
      const pipeline = this.pipelines.get(stream) ?? (await this.recall(tx, recorded), this.pipelines.get(stream));
      if (pipeline) this.buffered.push({ metric: 'execution', pipeline, status });
      this.forget(stream);
      return;
    }
    if (event.type === 'ActionExecutionStarted' || event.type === 'ApprovalRequested') {
      this.remember(stream, event);
      return;
    }
    if (event.type === 'JobAcknowledged') {
      const job = this.jobs.get(event.data.jobId) ?? (await this.recall(tx, recorded), this.jobs.get(event.data.jobId));
      if (!job) return;
      this.jobs.delete(event.data.jobId);
      this.buffered.push({ metric: 'dispatchLatency', seconds: seconds(job.at, event.data.at), provider: job.provider, category: job.category });
      return;
    }
    const end = ACTION_ENDS[event.type];
    if (end && 'attempt' in event.data) {
      const key = attemptKey(stream, event.data.stageName, event.data.actionName, event.data.attempt);
      const attempt = this.attempts.get(key) ?? (await this.recall(tx, recorded), this.attempts.get(key));
      // A failure refused at dispatch has no start: there is no duration to observe.
      if (!attempt) return;
      this.attempts.delete(key);
      this.buffered.push({ metric: 'actionDuration', seconds: seconds(attempt.at, event.data.at), provider: attempt.provider, category: attempt.category, status: end });
    }
  }

  committed(): void {
    const observations = this.buffered;
    this.buffered = [];
    for (const o of observations) {
      if (o.metric === 'execution') counter('pipelineExecutions').add(1, { pipeline: o.pipeline, status: o.status });
      else if (o.metric === 'actionDuration') histogram('actionDuration').record(o.seconds, { provider: o.provider, category: o.category, status: o.status });
      else histogram('jobDispatchLatency').record(o.seconds, { provider: o.provider, category: o.category });
    }
  }

  rolledBack(): void {
    this.buffered = [];
  }

  private remember(stream: string, event: ExecutionEvent): void {
    switch (event.type) {
      case 'PipelineExecutionStarted':
        this.pipelines.set(stream, event.data.pipelineName);
        break;
      case 'ActionExecutionStarted': {
        const started = { stream, at: event.data.at, provider: event.data.actionTypeId.provider, category: event.data.actionTypeId.category };
        this.attempts.set(attemptKey(stream, event.data.stageName, event.data.actionName, event.data.attempt), started);
        this.jobs.set(event.data.jobId, started);
        break;
      }
      case 'ApprovalRequested':
        this.attempts.set(attemptKey(stream, event.data.stageName, event.data.actionName, event.data.attempt), {
          stream,
          at: event.data.at,
          provider: event.data.actionTypeId.provider,
          category: event.data.actionTypeId.category,
        });
        break;
      default:
        break;
    }
  }

  /**
   * What another instance (or this one before a restart) saw of a stream: its earlier events are
   * read back to pair this end with its start. Only remembered, never counted.
   */
  private async recall(tx: EventStoreTransaction, recorded: RecordedEvent): Promise<void> {
    const earlier = await tx.readStream(recorded.streamId, { limit: recorded.streamVersion - 1 });
    for (const e of earlier) {
      const event = { type: e.type, data: e.data } as ExecutionEvent;
      if (event.type === 'JobAcknowledged') this.jobs.delete(event.data.jobId);
      else if (ACTION_ENDS[event.type] && 'attempt' in event.data) this.attempts.delete(attemptKey(e.streamId, event.data.stageName, event.data.actionName, event.data.attempt));
      else this.remember(e.streamId, event);
    }
  }

  private forget(stream: string): void {
    this.pipelines.delete(stream);
    for (const [key, started] of this.attempts) if (started.stream === stream) this.attempts.delete(key);
    for (const [jobId, started] of this.jobs) if (started.stream === stream) this.jobs.delete(jobId);
  }
}

function attemptKey(stream: string, stageName: string, actionName: string, attempt: number): string {
  return `${stream}|${stageName}|${actionName}|${attempt}`;
}
