import { loadSync } from '@grpc/proto-loader';
import { eventCatalog, executionV1, isEventType, jobV1, protoFiles, protoLoaderOptions, timestampFromDate } from './index';

const jobRequested: jobV1.JobRequested = {
  jobId: 'exec-1.Build.Compile.1',
  nonce: 'n-42',
  time: timestampFromDate(new Date('2025-01-02T03:04:05.678Z')),
  data: {
    actionTypeId: { category: 'Build', owner: 'Custom', provider: 'Shell', version: '1' },
    actionConfiguration: { configuration: { Command: 'make', Empty: '' } },
    jobToken: '',
    pipelineContext: {
      pipelineName: 'app',
      stage: { name: 'Build' },
      action: { name: 'Compile', actionExecutionId: 'ae-1' },
      pipelineArn: 'pipewright:pipeline/app',
      pipelineExecutionId: 'exec-1',
    },
    inputArtifacts: [
      {
        name: 'Src',
        revision: 'abc123',
        location: { artifactId: 'art-1', sha256: 'e3b0c442', sizeBytes: '9007199254740993' },
        files: [],
      },
    ],
    outputArtifacts: [{ name: 'Bin', revision: '', location: undefined, files: ['dist/**'] }],
    continuationToken: '',
    encryptionKey: { id: 'key-1', type: 'KMS' },
    attempt: 2,
    timeoutInMinutes: 60,
    commands: ['make', 'make test'],
    environmentVariables: [{ name: 'CI', value: 'true', type: 'PLAINTEXT' }],
    outputVariables: ['VERSION'],
  },
};

describe('Kafka event payloads', () => {
  it('JobRequested round-trips through encode/decode', () => {
    const bytes = jobV1.JobRequested.encode(jobRequested).finish();

    expect(jobV1.JobRequested.decode(bytes)).toEqual(jobRequested);
  });

  it('JobRequested round-trips through the JSON option', () => {
    const json = JSON.parse(JSON.stringify(jobV1.JobRequested.toJSON(jobRequested)));

    expect(json.time).toBe('2025-01-02T03:04:05.678Z');
    expect(json.data.inputArtifacts[0].location.sizeBytes).toBe('9007199254740993');
    expect(jobV1.JobRequested.fromJSON(json)).toEqual(jobRequested);
  });

  it('rejects bytes that are not a message', () => {
    expect(() => jobV1.JobRequested.decode(Uint8Array.from([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });

  it('names every event type by its fully qualified message name', () => {
    const definition = loadSync(
      ['pipewright/pipeline/v1/events.proto', 'pipewright/execution/v1/events.proto', 'pipewright/job/v1/events.proto'],
      protoLoaderOptions,
    );

    for (const type of Object.keys(eventCatalog)) {
      expect(definition[type]).toMatchObject({ format: 'Protocol Buffer 3 DescriptorProto' });
    }
    expect(isEventType('pipewright.job.v1.JobRequested')).toBe(true);
    expect(isEventType('pipewright.job.v1.Job')).toBe(false);
  });
});

describe('generated types match what Nest receives from @grpc/proto-loader', () => {
  it('decodes a ts-proto-encoded response into the same object', () => {
    const response: jobV1.PollForJobsResponse = { jobs: [{ id: jobRequested.jobId, nonce: 'n-42', data: jobRequested.data }] };
    const { package: pkg, service, protoPath } = protoFiles.JobService;
    const method = (loadSync([...protoPath], protoLoaderOptions)[`${pkg}.${service}`] as unknown as Record<
      string,
      { responseDeserialize(bytes: Buffer): unknown }
    >).PollForJobs;

    const received = method.responseDeserialize(Buffer.from(jobV1.PollForJobsResponse.encode(response).finish()));

    // proto-loader writes null for an unset message field where ts-proto has undefined.
    expect(JSON.parse(JSON.stringify(received, (_k, v) => (v === null ? undefined : v)))).toEqual(
      JSON.parse(JSON.stringify(response)),
    );
  });

  it('fromPartial turns what Nest received (nulls, oneof markers) back into the generated shape', () => {
    const response = executionV1.ListActionExecutionsResponse.fromPartial({
      actionExecutionDetails: [
        {
          pipelineExecutionId: 'exec-1',
          actionName: 'Compile',
          attempt: 1,
          status: 'Succeeded',
          startTime: timestampFromDate(new Date('2025-01-02T03:04:05.678Z')),
          input: { configuration: { Command: 'make' }, resolvedConfiguration: { Command: 'make' } },
          output: {
            outputArtifacts: [{ name: 'Bin', location: { artifactId: 'a', sha256: 'ff', sizeBytes: '12' } }],
            executionResult: { externalExecutionId: 'x', errorDetails: undefined },
            outputVariables: { VERSION: '1.2.3' },
          },
        },
      ],
      nextToken: 'next',
    });
    const { package: pkg, protoPath } = protoFiles.ExecutionService;
    const method = (loadSync([...protoPath], protoLoaderOptions)[`${pkg}.ExecutionService`] as unknown as Record<
      string,
      { responseDeserialize(bytes: Buffer): unknown }
    >).ListActionExecutions;

    const received = method.responseDeserialize(
      Buffer.from(executionV1.ListActionExecutionsResponse.encode(response).finish()),
    ) as { actionExecutionDetails: { lastUpdateTime: unknown }[] };

    expect(received.actionExecutionDetails[0].lastUpdateTime).toBeNull();
    expect(executionV1.ListActionExecutionsResponse.fromPartial(received as never)).toEqual(response);
  });
});
