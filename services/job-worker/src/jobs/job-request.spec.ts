import { jobV1 } from '@pipewright/contracts';
import { jobSpecOf, MalformedJobRequest } from './job-request';

const request = (data: Partial<jobV1.JobData> = {}) =>
  jobV1.JobRequested.fromPartial({
    jobId: 'job-1',
    nonce: 'nonce-1',
    data: {
      actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' },
      actionConfiguration: { configuration: { Commands: 'make' } },
      pipelineContext: { pipelineName: 'web', pipelineExecutionId: 'exec-1', stage: { name: 'Build' }, action: { name: 'Make' } },
      inputArtifacts: [{ name: 'Src', location: { artifactId: 'a-1', sha256: 'ab', sizeBytes: '10' } }],
      outputArtifacts: [{ name: 'Out' }, { name: 'Files', files: ['dist/**'] }],
      attempt: 2,
      timeoutInMinutes: 5,
      ...data,
    },
  });

describe('jobSpecOf', () => {
  it('flattens a JobRequested into what the worker runs', () => {
    const spec = jobSpecOf(request());
    expect(spec).toMatchObject({
      jobId: 'job-1',
      nonce: 'nonce-1',
      ref: { jobId: 'job-1', pipelineName: 'web', pipelineExecutionId: 'exec-1', stageName: 'Build', actionName: 'Make', attempt: 2 },
      actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' },
      configuration: { Commands: 'make' },
      inputArtifacts: [{ name: 'Src', location: { artifactId: 'a-1' } }],
      outputArtifacts: [{ name: 'Out' }, { name: 'Files', files: ['dist/**'] }],
      timeoutMillis: 5 * 60_000,
    });
  });

  it("uses CodePipeline's 60-minute default when the job names no timeout, and the worker's cap when lower", () => {
    expect(jobSpecOf(request({ timeoutInMinutes: 0 })).timeoutMillis).toBe(60 * 60_000);
    expect(jobSpecOf(request(), 2000).timeoutMillis).toBe(2000);
  });

  it.each([
    ['no action type', { actionTypeId: undefined }],
    ['no pipeline context', { pipelineContext: undefined }],
    ['an input artifact without location', { inputArtifacts: [{ name: 'Src', revision: '', location: undefined, files: [] }] }],
  ])('refuses a request with %s', (_label, data) => {
    expect(() => jobSpecOf(request(data as Partial<jobV1.JobData>))).toThrow(MalformedJobRequest);
  });
});
