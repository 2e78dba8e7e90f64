import { EventMessage, eventCatalog, EventType, isEventType } from '@pipewright/contracts';
import { CloudEvent, CONTENT_TYPE_JSON, readJsonData } from '@pipewright/messaging';

/** The payload of a consumed CloudEvent, binary protobuf or its JSON option; undefined for a type this service does not know. */
export function eventData<K extends EventType>(event: CloudEvent, wanted: readonly K[]): { type: K; data: EventMessage<K> } | undefined {
  if (!isEventType(event.type) || !(wanted as readonly string[]).includes(event.type)) return undefined;
  const type = event.type as K;
  const codec = eventCatalog[type];
  const data = event.datacontenttype.startsWith(CONTENT_TYPE_JSON) ? codec.fromJSON(readJsonData(event)) : codec.decode(event.data);
  return { type, data: data as EventMessage<K> };
}

/** proto3 leaves unset strings empty; the domain wants them absent. */
export const optional = (value: string | undefined | null) => (value ? value : undefined);
