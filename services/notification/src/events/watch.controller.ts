import { InvalidRequest } from '@pipewright/decider';
import { Metadata } from '@grpc/grpc-js';
import { Controller, OnModuleDestroy } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { eventCatalog, notificationV1, timestampFromDate } from '@pipewright/contracts';
import { toGrpcError } from '@pipewright/service-kit';
import { Writable } from 'node:stream';
import { Observable } from 'rxjs';
import { EventFilter, EventLog, StoredEvent } from './event-log';
import { EXECUTION_EVENT_TYPES } from './execution-event';
import { Signals } from './signals';

type Request<K extends keyof notificationV1.NotificationServiceController> = Parameters<notificationV1.NotificationServiceController[K]>[0];

const PAGE = 200;
const POLL_MS = 1_000;

function response(event: StoredEvent): notificationV1.WatchEventsResponse {
  const codec = eventCatalog[event.eventType] as { fromJSON(o: unknown): unknown };
  return {
    position: event.position,
    eventId: event.eventId,
    eventType: event.eventType,
    eventTypeId: event.eventTypeId,
    time: timestampFromDate(event.time),
    [EXECUTION_EVENT_TYPES[event.eventType]]: codec.fromJSON(event.data),
  } as notificationV1.WatchEventsResponse;
}

/**
 * WatchEvents: the stored backlog after the given position, then live events, in position order.
 * A client that resumes from the last position it saw misses nothing and sees nothing twice.
 */
@Controller()
export class WatchController implements OnModuleDestroy {
  private readonly shutdown = new AbortController();

  constructor(
    private readonly log: EventLog,
    private readonly signals: Signals,
  ) {}

  @GrpcMethod('NotificationService')
  async watchEvents(request: Request<'watchEvents'>, _metadata?: Metadata, call?: Writable): Promise<Observable<notificationV1.WatchEventsResponse>> {
    const filter: EventFilter = { pipeline: request.pipelineName ?? '', executionId: request.pipelineExecutionId ?? '' };
    const after = request.afterPosition;
    if (after !== undefined && after !== null && !/^\d{1,18}$/.test(String(after))) throw InvalidRequest.at('after_position', 'after_position must be a position a previous stream returned');
    const start = after !== undefined && after !== null ? String(after) : await this.log.lastPosition();
    return new Observable((subscriber) => {
      const cancelled = new AbortController();
      const onShutdown = () => subscriber.complete();
      this.shutdown.signal.addEventListener('abort', onShutdown, { once: true });
      const stop = AbortSignal.any([cancelled.signal, this.shutdown.signal]);
      void (async () => {
        let position = start;
        while (!stop.aborted) {
          // A slow client: read no further page until what was written has gone out.
          while (call?.writableNeedDrain && !stop.aborted) await new Promise((resolve) => setTimeout(resolve, 50));
          const events = await this.log.after(position, filter, PAGE);
          for (const event of events) {
            if (stop.aborted) return;
            subscriber.next(response(event));
            position = event.position;
          }
          if (events.length < PAGE) await this.signals.wait('events', POLL_MS, stop);
        }
      })().catch((error: unknown) => subscriber.error(toGrpcError(error)));
      return () => {
        cancelled.abort();
        this.shutdown.signal.removeEventListener('abort', onShutdown);
      };
    });
  }

  onModuleDestroy(): void {
    this.shutdown.abort();
  }
}
