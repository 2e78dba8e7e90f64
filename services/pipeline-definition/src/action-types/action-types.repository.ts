import { Injectable } from '@nestjs/common';
import { StreamVersionConflict } from '@pipewright/event-store';
import { ActionTypeRegistry } from '@pipewright/pipeline-model';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { CustomActionTypeEvent, CustomActionTypes, evolveCustomActionTypes } from './custom-action-types';

const STREAM = 'custom-action-types';

/** Custom action types from the log, and the registry pipelines are validated against. */
@Injectable()
export class ActionTypesRepository {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  async load(): Promise<{ state: CustomActionTypes; streamVersion: number }> {
    const store = await this.infrastructure.store();
    const events = await store.readStream(STREAM);
    const state = events.reduce((s, e) => evolveCustomActionTypes(s, { type: e.type, data: e.data } as CustomActionTypeEvent), new Map() as CustomActionTypes);
    return { state, streamVersion: events.length ? events[events.length - 1].streamVersion : 0 };
  }

  async registry(): Promise<ActionTypeRegistry> {
    return ActionTypeRegistry.standard([...(await this.load()).state.values()]);
  }

  /** Load, decide, append at the loaded version; a concurrent change makes it decide again. */
  async change(decide: (state: CustomActionTypes) => CustomActionTypeEvent[]): Promise<CustomActionTypeEvent[]> {
    const store = await this.infrastructure.store();
    for (let attempt = 1; ; attempt++) {
      const { state, streamVersion } = await this.load();
      const events = decide(state);
      try {
        await store.append(STREAM, streamVersion, events);
        return events;
      } catch (error) {
        if (!(error instanceof StreamVersionConflict) || attempt >= 5) throw error;
      }
    }
  }
}
