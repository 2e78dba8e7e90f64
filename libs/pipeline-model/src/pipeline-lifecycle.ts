import { Decider, DomainError } from '@pipewright/decider';
import { PipelineDeclaration } from './declaration';

/**
 * The life of one pipeline (stream `pipeline-<name>`): created, updated into new versions, tagged,
 * deleted. Every version's declaration stays in the log; nothing is overwritten.
 * A pipeline deleted and created again starts a new generation at version 1, as on CodePipeline.
 */
export type Tags = Record<string, string>;

export type PipelineEvent =
  | { type: 'PipelineCreated'; data: { name: string; generation: number; version: 1; declaration: PipelineDeclaration; tags: Tags; at: string } }
  | { type: 'PipelineUpdated'; data: { name: string; generation: number; version: number; declaration: PipelineDeclaration; at: string } }
  | { type: 'PipelineDeleted'; data: { name: string; generation: number; at: string } }
  | { type: 'PipelineTagged'; data: { name: string; tags: Tags; at: string } }
  | { type: 'PipelineUntagged'; data: { name: string; tagKeys: string[]; at: string } };

export type PipelineCommand =
  | { type: 'CreatePipeline'; data: { declaration: PipelineDeclaration; tags: Tags; now: string } }
  | { type: 'UpdatePipeline'; data: { declaration: PipelineDeclaration; expectedVersion?: number; now: string } }
  | { type: 'DeletePipeline'; data: { name: string; now: string } }
  | { type: 'TagResource'; data: { name: string; tags: Tags; now: string } }
  | { type: 'UntagResource'; data: { name: string; tagKeys: string[]; now: string } };

export interface PipelineVersion {
  version: number;
  declaration: PipelineDeclaration;
  created: string;
}

export type PipelineState =
  | { status: 'Absent'; generation: number }
  | { status: 'Active'; name: string; generation: number; created: string; updated: string; tags: Tags; versions: PipelineVersion[] }
  | { status: 'Deleted'; name: string; generation: number; deleted: string };

export class PipelineAlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
}
export class PipelineNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}
export class PipelineVersionMismatch extends DomainError {
  readonly code = 'ABORTED' as const;
}
export class PipelineVersionNotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
}

export const initialPipelineState = (): PipelineState => ({ status: 'Absent', generation: 0 });

export function latestVersion(state: Extract<PipelineState, { status: 'Active' }>): PipelineVersion {
  return state.versions[state.versions.length - 1];
}

/** The declaration of a version as GetPipeline returns it: `version` set to that version. */
export function pipelineVersion(state: PipelineState, version?: number): PipelineVersion {
  if (state.status !== 'Active') throw new PipelineNotFound('pipeline not found');
  if (version === undefined) return latestVersion(state);
  const found = state.versions.find((v) => v.version === version);
  if (!found) throw new PipelineVersionNotFound(`pipeline ${state.name} has no version ${version}`, { version });
  return found;
}

export function evolvePipeline(state: PipelineState, event: PipelineEvent): PipelineState {
  switch (event.type) {
    case 'PipelineCreated':
      return {
        status: 'Active',
        name: event.data.name,
        generation: event.data.generation,
        created: event.data.at,
        updated: event.data.at,
        tags: event.data.tags,
        versions: [{ version: 1, declaration: event.data.declaration, created: event.data.at }],
      };
    case 'PipelineUpdated':
      if (state.status !== 'Active') return state;
      return { ...state, updated: event.data.at, versions: [...state.versions, { version: event.data.version, declaration: event.data.declaration, created: event.data.at }] };
    case 'PipelineDeleted':
      return { status: 'Deleted', name: event.data.name, generation: event.data.generation, deleted: event.data.at };
    case 'PipelineTagged':
      if (state.status !== 'Active') return state;
      return { ...state, tags: { ...state.tags, ...event.data.tags } };
    case 'PipelineUntagged': {
      if (state.status !== 'Active') return state;
      const tags = { ...state.tags };
      for (const key of event.data.tagKeys) delete tags[key];
      return { ...state, tags };
    }
  }
}

function active(state: PipelineState, name: string): Extract<PipelineState, { status: 'Active' }> {
  if (state.status !== 'Active') throw new PipelineNotFound(`pipeline ${name} not found`, { name });
  return state;
}

export function decidePipeline(command: PipelineCommand, state: PipelineState): PipelineEvent[] {
  switch (command.type) {
    case 'CreatePipeline': {
      const { declaration, tags, now } = command.data;
      if (state.status === 'Active') throw new PipelineAlreadyExists(`pipeline ${declaration.name} already exists`, { name: declaration.name });
      const generation = state.generation + 1;
      return [{ type: 'PipelineCreated', data: { name: declaration.name, generation, version: 1, declaration: { ...declaration, version: 1 }, tags, at: now } }];
    }
    case 'UpdatePipeline': {
      const { declaration, expectedVersion, now } = command.data;
      const current = active(state, declaration.name);
      const currentVersion = latestVersion(current).version;
      // CodePipeline carries the version being replaced in the declaration itself; an explicit expected version wins.
      const expected = expectedVersion ?? declaration.version;
      if (expected !== undefined && expected !== currentVersion) {
        throw new PipelineVersionMismatch(`pipeline ${declaration.name} is at version ${currentVersion}, not ${expected}`, { expected, actual: currentVersion });
      }
      const version = currentVersion + 1;
      return [{ type: 'PipelineUpdated', data: { name: declaration.name, generation: current.generation, version, declaration: { ...declaration, version }, at: now } }];
    }
    case 'DeletePipeline': {
      const current = active(state, command.data.name);
      return [{ type: 'PipelineDeleted', data: { name: current.name, generation: current.generation, at: command.data.now } }];
    }
    case 'TagResource': {
      active(state, command.data.name);
      return [{ type: 'PipelineTagged', data: { name: command.data.name, tags: command.data.tags, at: command.data.now } }];
    }
    case 'UntagResource': {
      active(state, command.data.name);
      return [{ type: 'PipelineUntagged', data: { name: command.data.name, tagKeys: command.data.tagKeys, at: command.data.now } }];
    }
  }
}

export const pipelineDecider: Decider<PipelineCommand, PipelineEvent, PipelineState> = {
  decide: decidePipeline,
  evolve: evolvePipeline,
  initialState: initialPipelineState,
};
