/** Values that only mean something on AWS are kept; malformed ones and placeholders are warnings. */
import { PipelineDeclaration } from '../src';
import { basePipeline, CODEBUILD, problemsOf, warningsOf } from './fixtures';

const awsPipeline = (change: (d: PipelineDeclaration) => void = () => {}): PipelineDeclaration => {
  const declaration = basePipeline();
  Object.assign(declaration.stages[1]!.actions[0]!, { actionTypeId: CODEBUILD, configuration: { ProjectName: 'web' } });
  declaration.roleArn = 'arn:aws:iam::111122223333:role/pipeline';
  declaration.artifactStore = { type: 'S3', location: 'artifacts-bucket' };
  change(declaration);
  return declaration;
};
const awsWarnings = (d: PipelineDeclaration) => warningsOf(d).filter((w) => w.rule !== 'action.type.awaits-worker');

describe('AWS-only values', () => {
  it('well-formed values give no warning', () => {
    expect(awsWarnings(awsPipeline())).toEqual([]);
  });

  it('a malformed roleArn is a warning, not a problem', () => {
    const declaration = awsPipeline((d) => (d.roleArn = 'arn:aws:iam::ACCOUNT_ID:role/x'));
    expect(problemsOf(declaration)).toEqual([]);
    expect(awsWarnings(declaration)).toEqual([{ path: 'pipeline.roleArn', rule: 'aws.role-arn' }]);
  });

  it('a PLACEHOLDER roleArn is a placeholder warning', () => {
    expect(awsWarnings(awsPipeline((d) => (d.roleArn = 'PLACEHOLDER')))).toEqual([{ path: 'pipeline.roleArn', rule: 'placeholder' }]);
  });

  it('a missing roleArn and store are warnings for a pipeline written for AWS', () => {
    expect(awsWarnings(awsPipeline((d) => (delete d.roleArn, delete d.artifactStore)))).toEqual([
      { path: 'pipeline.roleArn', rule: 'aws.role-arn' },
      { path: 'pipeline', rule: 'aws.artifact-store' },
    ]);
  });

  it('a pipeline of Pipewright types needs neither role nor store', () => {
    expect(warningsOf(basePipeline())).toEqual([]);
  });

  it('a malformed bucket name is a warning', () => {
    expect(awsWarnings(awsPipeline((d) => (d.artifactStore = { type: 'S3', location: 'BUCKET_NAME' })))).toEqual([{ path: 'pipeline.artifactStore.location', rule: 'aws.artifact-store' }]);
  });

  it('artifactStore and artifactStores together are a warning', () => {
    expect(awsWarnings(awsPipeline((d) => (d.artifactStores = { 'us-east-1': { type: 'S3', location: 'b-us' } })))).toEqual([{ path: 'pipeline.artifactStores', rule: 'aws.artifact-store' }]);
  });

  it('a KMS key is kept with a warning', () => {
    const declaration = awsPipeline((d) => (d.artifactStore = { type: 'S3', location: 'bucket', encryptionKey: { id: 'arn:aws:kms:us-east-1:111122223333:alias/aws/s3', type: 'KMS' } }));
    expect(awsWarnings(declaration)).toEqual([{ path: 'pipeline.artifactStore.encryptionKey', rule: 'aws.encryption-key' }]);
  });

  it('an action region is kept with a warning', () => {
    expect(awsWarnings(awsPipeline((d) => (d.stages[1]!.actions[0]!.region = 'eu-west-1')))).toEqual([{ path: 'pipeline.stages[1].actions[0].region', rule: 'aws.region' }]);
  });

  it('a malformed connection ARN is a warning', () => {
    const declaration = awsPipeline((d) => Object.assign(d.stages[0]!.actions[0]!, {
      actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
      configuration: { ConnectionArn: 'arn:aws:codestar-connections:us-east-1:111122223333:connection/your-connection-id', FullRepositoryId: 'o/r', BranchName: 'main' },
    }));
    expect(problemsOf(declaration)).toEqual([]);
    expect(awsWarnings(declaration)).toEqual([{ path: 'pipeline.stages[0].actions[0].configuration.ConnectionArn', rule: 'aws.connection-arn' }]);
  });
});
