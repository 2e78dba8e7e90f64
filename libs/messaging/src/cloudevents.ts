import type { IHeaders } from 'kafkajs';
import { MalformedMessage } from './errors';

export const SPEC_VERSION = '1.0';
export const CONTENT_TYPE_PROTOBUF = 'application/protobuf';
export const CONTENT_TYPE_JSON = 'application/json';

/** Header names of the CloudEvents Kafka protocol binding, binary content mode. */
export const CloudEventHeaders = {
  specversion: 'ce_specversion',
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
} as const;

const EXTENSION_PREFIX = 'ce_';
const CORE_HEADERS = new Set<string>(Object.values(CloudEventHeaders));
// CloudEvents attribute names: lower-case letters and digits only.
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

export interface CloudEvent {
  id: string;
  /** e.g. `pipewright.execution.v1.ExecutionStarted`; versioned like the gRPC API. */
  type: string;
  /** URI-reference of the producer, e.g. `/pipewright/orchestrator`. */
  source: string;
  time: Date;
  /** For Pipewright events: the pipeline name. */
  subject?: string;
  /** `application/protobuf`, or `application/json` for the JSON option. */
  datacontenttype: string;
  data: Uint8Array;
  /** Extension attributes (e.g. correlationid), carried as `ce_<name>` headers. */
  extensions?: Record<string, string>;
}

/** A Kafka message in binary mode: attributes in headers, data as the value. */
export interface EncodedCloudEvent {
  value: Buffer;
  headers: Record<string, string>;
}

export function encodeCloudEvent(event: CloudEvent): EncodedCloudEvent {
  for (const field of ['id', 'type', 'source', 'datacontenttype'] as const) {
    if (!event[field]) throw new TypeError(`CloudEvent ${field} is required`);
  }
  if (!(event.time instanceof Date) || Number.isNaN(event.time.getTime())) throw new TypeError('CloudEvent time must be a valid Date');
  const headers: Record<string, string> = {
    [CloudEventHeaders.specversion]: SPEC_VERSION,
    [CloudEventHeaders.id]: event.id,
    [CloudEventHeaders.type]: event.type,
    [CloudEventHeaders.source]: event.source,
    [CloudEventHeaders.time]: event.time.toISOString(),
    [CloudEventHeaders.contentType]: event.datacontenttype,
  };
  if (event.subject !== undefined) headers[CloudEventHeaders.subject] = event.subject;
  for (const [name, value] of Object.entries(event.extensions ?? {})) {
    const header = EXTENSION_PREFIX + name;
    if (!EXTENSION_NAME.test(name) || CORE_HEADERS.has(header)) throw new TypeError(`invalid CloudEvent extension name "${name}"`);
    headers[header] = value;
  }
  return { value: Buffer.from(event.data.buffer, event.data.byteOffset, event.data.byteLength), headers };
}

/** Reads a binary-mode CloudEvent; throws MalformedMessage when a required attribute is missing or invalid. */
export function decodeCloudEvent(message: { value: Buffer | null; headers?: IHeaders }): CloudEvent {
  const headers = message.headers ?? {};
  const required = (name: string): string => {
    const value = headerString(headers, name);
    if (value === undefined || value === '') throw new MalformedMessage(`missing header ${name}`);
    return value;
  };
  const specversion = required(CloudEventHeaders.specversion);
  if (specversion !== SPEC_VERSION) throw new MalformedMessage(`unsupported ${CloudEventHeaders.specversion} "${specversion}"`);
  const timeText = required(CloudEventHeaders.time);
  const time = new Date(timeText);
  if (Number.isNaN(time.getTime())) throw new MalformedMessage(`${CloudEventHeaders.time} is not a timestamp: "${timeText}"`);

  const event: CloudEvent = {
    id: required(CloudEventHeaders.id),
    type: required(CloudEventHeaders.type),
    source: required(CloudEventHeaders.source),
    time,
    datacontenttype: required(CloudEventHeaders.contentType),
    data: message.value ?? Buffer.alloc(0),
  };
  const subject = headerString(headers, CloudEventHeaders.subject);
  if (subject !== undefined) event.subject = subject;
  const extensions: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    if (!name.startsWith(EXTENSION_PREFIX) || CORE_HEADERS.has(name)) continue;
    const value = headerString(headers, name);
    if (value !== undefined) extensions[name.slice(EXTENSION_PREFIX.length)] = value;
  }
  if (Object.keys(extensions).length > 0) event.extensions = extensions;
  return event;
}

/** The data and content type of a CloudEvent with the JSON option. */
export function jsonData(value: unknown): Pick<CloudEvent, 'datacontenttype' | 'data'> {
  return { datacontenttype: CONTENT_TYPE_JSON, data: Buffer.from(JSON.stringify(value), 'utf8') };
}

/** Parses the data of a JSON CloudEvent; MalformedMessage when it is not JSON. */
export function readJsonData<T = unknown>(event: CloudEvent): T {
  if (!event.datacontenttype.startsWith(CONTENT_TYPE_JSON)) {
    throw new MalformedMessage(`expected ${CONTENT_TYPE_JSON} data, got ${event.datacontenttype}`);
  }
  try {
    return JSON.parse(Buffer.from(event.data).toString('utf8')) as T;
  } catch (error) {
    throw new MalformedMessage(`data is not JSON: ${(error as Error).message}`);
  }
}

/** A header as text: Kafka headers are bytes, and a repeated header keeps its first value. */
export function headerString(headers: IHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.toString('utf8');
}
