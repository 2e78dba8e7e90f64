import { InvalidRequest } from '@pipewright/decider';
import { Inject, Injectable } from '@nestjs/common';
import { pipelineV1, timestampFromDate } from '@pipewright/contracts';
import { NewOutboxMessage, StreamVersionConflict } from '@pipewright/event-store';
import { CONTENT_TYPE_PROTOBUF, Topics } from '@pipewright/messaging';
import {
  ActionAwaitingWorker,
  actionsAwaitingWorker,
  decidePipeline,
  importPipeline,
  PipelineCommand,
  PipelineDeclaration,
  PipelineEvent,
  pipelineVersion,
  PipelineNotFound,
  Tag,
  Warning,
} from '@pipewright/pipeline-model';
import { outboxMessage } from '@pipewright/service-kit';
import { randomUUID } from 'node:crypto';
import { ActionTypesRepository } from '../action-types/action-types.repository';
import { InvalidPipelineDeclaration } from './errors';
import { parsePipelineDocument } from './pipeline-document';
import { PIPELINE_REPOSITORY, PipelineRepository } from './pipeline-repository';

/** What a caller sent as the declaration: the structured message or the document text. */
export type DeclarationInput = { pipeline?: pipelineV1.PipelineDeclaration | null; pipelineDocument?: string | null };

export interface AcceptedDeclaration {
  declaration: PipelineDeclaration;
  tags: Tag[];
  warnings: Warning[];
  awaitingWorker: ActionAwaitingWorker[];
}

const MAX_CONFLICT_RETRIES = 5;

/** CreatePipeline … TagResource: read the document, validate, decide on the folded stream, append. */
@Injectable()
export class PipelinesHandler {
  constructor(
    @Inject(PIPELINE_REPOSITORY) private readonly repository: PipelineRepository,
    private readonly actionTypes: ActionTypesRepository,
  ) {}

  /** Reads and validates against the catalog, the built-in providers and the registered custom types. */
  async accept(input: DeclarationInput): Promise<AcceptedDeclaration> {
    const registry = await this.actionTypes.registry();
    let document: unknown;
    if (input.pipelineDocument) {
      const parsed = parsePipelineDocument(input.pipelineDocument);
      if (!parsed.ok) throw new InvalidPipelineDeclaration(parsed.problems);
      document = parsed.value;
    } else if (input.pipeline) {
      // The proto3 JSON of the message is CodePipeline's JSON: validate that, one way for both inputs.
      document = { pipeline: pipelineV1.PipelineDeclaration.toJSON(pipelineV1.PipelineDeclaration.fromPartial(input.pipeline)) };
    } else {
      throw InvalidRequest.at('pipeline', 'a pipeline declaration (pipeline or pipeline_document) is required');
    }
    const result = importPipeline(document, registry);
    if (!result.declaration) throw new InvalidPipelineDeclaration(result.problems.map(({ path, message }) => ({ path, message })));
    return { declaration: result.declaration, tags: result.tags, warnings: result.warnings, awaitingWorker: actionsAwaitingWorker(result.declaration, registry) };
  }

  /** Actions of a stored declaration that wait for a worker, against today's registry. */
  async awaitingWorker(declaration: PipelineDeclaration) {
    return actionsAwaitingWorker(declaration, await this.actionTypes.registry());
  }

  /** Load, decide, append with the loaded version; on a concurrent append, decide again on the new state. */
  async execute(name: string, command: PipelineCommand): Promise<PipelineEvent[]> {
    for (let attempt = 1; ; attempt++) {
      const { state, streamVersion } = await this.repository.load(name);
      const events = decidePipeline(command, state);
      try {
        await this.repository.save(name, streamVersion, events, events.flatMap(published));
        return events;
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= MAX_CONFLICT_RETRIES) throw error;
      }
    }
  }

  async get(name: string, version?: number) {
    const { state } = await this.repository.load(name);
    if (state.status !== 'Active') throw new PipelineNotFound(`pipeline ${name} not found`, { name });
    return { state, version: pipelineVersion(state, version) };
  }

  list(afterName: string, limit: number) {
    return this.repository.list(afterName, limit);
  }
}

const eventTypes = {
  PipelineCreated: 'pipewright.pipeline.v1.PipelineCreated',
  PipelineUpdated: 'pipewright.pipeline.v1.PipelineUpdated',
  PipelineDeleted: 'pipewright.pipeline.v1.PipelineDeleted',
} as const;

/** What each change tells the outside world on pipewright.pipeline-events. Tag changes stay internal. */
function published(event: PipelineEvent): NewOutboxMessage[] {
  const time = new Date(event.data.at);
  const base = { id: randomUUID(), source: '/pipewright/pipeline-definition', time, subject: event.data.name, datacontenttype: CONTENT_TYPE_PROTOBUF };
  switch (event.type) {
    case 'PipelineCreated':
    case 'PipelineUpdated': {
      const message = {
        name: event.data.name,
        version: event.data.version,
        declaration: pipelineV1.PipelineDeclaration.fromJSON(event.data.declaration),
        time: timestampFromDate(time),
      };
      const codec = event.type === 'PipelineCreated' ? pipelineV1.PipelineCreated : pipelineV1.PipelineUpdated;
      return [outboxMessage(Topics.PipelineEvents, event.data.name, { ...base, type: eventTypes[event.type], data: codec.encode(message).finish() })];
    }
    case 'PipelineDeleted':
      return [outboxMessage(Topics.PipelineEvents, event.data.name, {
        ...base,
        type: eventTypes.PipelineDeleted,
        data: pipelineV1.PipelineDeleted.encode({ name: event.data.name, version: 0, declaration: undefined, time: timestampFromDate(time) }).finish(),
      })];
    case 'PipelineTagged':
    case 'PipelineUntagged':
      return [];
  }
}
