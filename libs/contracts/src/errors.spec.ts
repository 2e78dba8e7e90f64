import { Metadata } from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http2';
import { commonV1, errorMetadataKeys } from './index';

describe('error details in trailing metadata', () => {
  it('carries every validation problem through binary metadata', () => {
    const problems: commonV1.ValidationProblems = {
      problems: [
        { path: 'pipeline.stages', message: 'a pipeline needs at least 2 stages' },
        { path: 'pipeline.stages[0].actions[0].configuration.BranchName', message: 'required' },
      ],
    };
    const metadata = new Metadata();
    metadata.set(errorMetadataKeys.problems, Buffer.from(commonV1.ValidationProblems.encode(problems).finish()));
    metadata.set(errorMetadataKeys.errorCode, 'InvalidStructureException');

    const received = Metadata.fromHttp2Headers(metadata.toHttp2Headers() as IncomingHttpHeaders);
    const [value] = received.get(errorMetadataKeys.problems);

    expect(commonV1.ValidationProblems.decode(value as Buffer)).toEqual(problems);
    expect(received.get(errorMetadataKeys.errorCode)).toEqual(['InvalidStructureException']);
  });

  it('refuses a text value under the binary key', () => {
    expect(() => new Metadata().set(errorMetadataKeys.problems, 'not bytes')).toThrow();
  });
});
