import { CONTENT_TYPE_PROTOBUF, decodeCloudEvent, encodeCloudEvent, jsonData, readJsonData, type CloudEvent } from './cloudevents';
import { MalformedMessage } from './errors';

const event: CloudEvent = {
  id: 'evt-1',
  type: 'pipewright.execution.v1.ExecutionStarted',
  source: '/pipewright/orchestrator',
  time: new Date('2025-01-02T03:04:05.678Z'),
  subject: 'release',
  datacontenttype: CONTENT_TYPE_PROTOBUF,
  data: new Uint8Array([8, 1, 18, 3, 97, 98, 99]),
};

describe('CloudEvents Kafka binding, binary mode', () => {
  it('puts the attributes in ce_ headers and the data in the value', () => {
    const encoded = encodeCloudEvent(event);
    expect(encoded.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'evt-1',
      ce_type: 'pipewright.execution.v1.ExecutionStarted',
      ce_source: '/pipewright/orchestrator',
      ce_time: '2025-01-02T03:04:05.678Z',
      ce_subject: 'release',
      'content-type': 'application/protobuf',
    });
    expect([...encoded.value]).toEqual([8, 1, 18, 3, 97, 98, 99]);
  });

  it('decodes what it encodes, from Buffer headers as Kafka delivers them', () => {
    const encoded = encodeCloudEvent({ ...event, extensions: { correlationid: 'corr-9' } });
    const headers = Object.fromEntries(Object.entries(encoded.headers).map(([name, value]) => [name, Buffer.from(value)]));
    const decoded = decodeCloudEvent({ value: encoded.value, headers: { ...headers, traceparent: Buffer.from('00-abc') } });
    expect(decoded).toEqual({ ...event, data: Buffer.from(event.data), extensions: { correlationid: 'corr-9' } });
  });

  it('carries JSON data as the JSON option', () => {
    const decoded = decodeCloudEvent(encodeCloudEvent({ ...event, ...jsonData({ pipelineName: 'release', stages: 2 }) }));
    expect(decoded.datacontenttype).toBe('application/json');
    expect(readJsonData(decoded)).toEqual({ pipelineName: 'release', stages: 2 });
    expect(() => readJsonData(event)).toThrow(MalformedMessage);
    expect(() => readJsonData({ ...event, datacontenttype: 'application/json', data: Buffer.from('{nope') })).toThrow(/not JSON/);
  });

  it.each(['ce_specversion', 'ce_id', 'ce_type', 'ce_source', 'ce_time', 'content-type'])('rejects a message without %s', (header) => {
    const { value, headers } = encodeCloudEvent(event);
    delete headers[header];
    expect(() => decodeCloudEvent({ value, headers })).toThrow(new MalformedMessage(`missing header ${header}`));
  });

  it('rejects a message with no headers, another spec version, or a bad time', () => {
    expect(() => decodeCloudEvent({ value: Buffer.from('x') })).toThrow(MalformedMessage);
    const { value, headers } = encodeCloudEvent(event);
    expect(() => decodeCloudEvent({ value, headers: { ...headers, ce_specversion: '0.3' } })).toThrow(/unsupported ce_specversion/);
    expect(() => decodeCloudEvent({ value, headers: { ...headers, ce_time: 'yesterday' } })).toThrow(/not a timestamp/);
  });

  it('refuses to encode an event without its required attributes or with a bad extension name', () => {
    expect(() => encodeCloudEvent({ ...event, id: '' })).toThrow(/id is required/);
    expect(() => encodeCloudEvent({ ...event, time: new Date('nope') })).toThrow(/valid Date/);
    expect(() => encodeCloudEvent({ ...event, extensions: { 'Bad-Name': 'x' } })).toThrow(/extension name/);
    expect(() => encodeCloudEvent({ ...event, extensions: { id: 'x' } })).toThrow(/extension name/);
  });
});
