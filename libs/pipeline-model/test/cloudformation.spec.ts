/** CloudFormation templates (corpus cfn/*.json and a long-form fragment) turned into pipeline documents. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionTypeRegistry, fromCloudFormation, importPipeline } from '../src';
import { registry } from './fixtures';

const CFN = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'codepipeline', 'cfn');
const load = (file: string): unknown => JSON.parse(readFileSync(join(CFN, file), 'utf8'));
const only = (template: unknown) => {
  const result = fromCloudFormation(template);
  expect(result.problems).toEqual([]);
  expect(result.pipelines).toHaveLength(1);
  return result.pipelines[0]!;
};

describe('fromCloudFormation', () => {
  it('c01: converts PascalCase to camelCase, Version 1 to "1", and reports Fn::Sub with its path', () => {
    const { document, warnings } = only(load('c01-ecr-source-codedeploy-ecs.json'));
    expect(document.pipeline.name).toBe('ContinuousDeliveryNestedCFN-{{AWS::StackName}}');
    expect((document.pipeline.stages as { actions: { actionTypeId: unknown }[] }[])[0]!.actions[0]!.actionTypeId).toEqual({ category: 'Source', owner: 'AWS', provider: 'ECR', version: '1' });
    expect(warnings).toEqual([expect.objectContaining({ path: 'pipeline.name', rule: 'cloudformation.intrinsic' })]);
    const imported = importPipeline(document, registry);
    expect(imported.problems).toEqual([]);
    expect(imported.warnings).toContainEqual(expect.objectContaining({ path: 'pipeline.name', rule: 'placeholder' }));
  });

  it('c02 (INVALID): ${ProjectName} outside Fn::Sub stays literal, and is not a valid artifact name', () => {
    const result = fromCloudFormation(load('c02-php-app-noodlesegg-INVALID-refs.json'));
    expect(result.warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['Resources.WebHook', 'Resources.S3ArtifactsBucket']));
    const problems = importPipeline(result.pipelines[0]!.document, registry).problems.map(({ path, rule }) => ({ path, rule }));
    expect(problems).toEqual([
      { path: 'pipeline.stages[0].actions[0].outputArtifacts[0].name', rule: 'artifact.name' },
      { path: 'pipeline.stages[1].actions[0].outputArtifacts[0].name', rule: 'artifact.name' },
      { path: 'pipeline.stages[1].actions[0].inputArtifacts[0].name', rule: 'artifact.name' },
      { path: 'pipeline.stages[2].actions[0].inputArtifacts[0].name', rule: 'artifact.name' },
    ]);
  });

  it('c03: Ref and Fn::GetAtt become placeholders, the missing Name is generated, and the custom Jenkins type validates once registered', () => {
    const { document, warnings } = only(load('c03-jenkins-custom-action-runorder.json'));
    expect(warnings.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'pipeline.name', rule: 'cloudformation.name-generated' },
      { path: 'pipeline.stages[0].actions[0].configuration.OAuthToken', rule: 'cloudformation.intrinsic' },
      { path: 'pipeline.artifactStore.location', rule: 'cloudformation.intrinsic' },
      { path: 'pipeline.roleArn', rule: 'cloudformation.intrinsic' },
    ]);
    expect(document.pipeline.roleArn).toBe('{{GetAtt role.Arn}}');
    const jenkins = (category: 'Build' | 'Test') => ({
      category,
      provider: 'project-jenkins',
      version: '4',
      configurationProperties: [{ name: 'ProjectName', required: true, key: true, queryable: true }],
      inputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
    });
    expect(importPipeline(document, registry).problems.map((p) => p.rule)).toEqual(['action.type.unknown', 'action.type.unknown', 'action.type.unknown']);
    expect(importPipeline(document, ActionTypeRegistry.standard([jenkins('Build'), jenkins('Test')])).problems).toEqual([]);
  });

  it('turns ArtifactStores into a map by region, RunOrder strings into numbers, and drops resource-only properties with a warning', () => {
    const resource = {
      Type: 'AWS::CodePipeline::Pipeline',
      Properties: {
        Name: 'multi',
        RestartExecutionOnUpdate: true,
        ArtifactStores: [
          { Region: 'us-east-1', ArtifactStore: { Type: 'S3', Location: { 'Fn::Sub': '${Prefix}-us-east-1' } } },
          { Region: { Ref: 'SecondRegion' }, ArtifactStore: { Type: 'S3', Location: 'bucket-two' } },
        ],
        Tags: [{ Key: 'team', Value: 'web' }],
        Stages: [
          { Name: 'Source', Actions: [{ Name: 'S3', ActionTypeId: { Category: 'Source', Owner: 'AWS', Provider: 'S3', Version: 1 }, Configuration: { S3Bucket: 'b', S3ObjectKey: 'k.zip', PollForSourceChanges: false }, OutputArtifacts: [{ Name: 'Src' }] }] },
          { Name: 'Deploy', Actions: [{ Name: 'Stack', RunOrder: '2', Region: { Ref: 'SecondRegion' }, ActionTypeId: { Category: 'Deploy', Owner: 'AWS', Provider: 'CloudFormation', Version: '1' }, Configuration: { ActionMode: 'CREATE_UPDATE', StackName: 'app', TemplatePath: 'Src::t.yaml' }, InputArtifacts: [{ Name: 'Src' }] }] },
        ],
      },
    };
    const { document, warnings } = only(resource);
    expect(document.pipeline.artifactStores).toEqual({
      'us-east-1': { type: 'S3', location: '{{Prefix}}-us-east-1' },
      '{{Ref SecondRegion}}': { type: 'S3', location: 'bucket-two' },
    });
    expect(document.tags).toEqual([{ key: 'team', value: 'web' }]);
    expect(warnings.map((w) => w.rule)).toContain('cloudformation.property-ignored');
    const stages = document.pipeline.stages as { actions: Record<string, unknown>[] }[];
    expect(stages[0]!.actions[0]!.configuration).toEqual({ S3Bucket: 'b', S3ObjectKey: 'k.zip', PollForSourceChanges: 'false' });
    expect(stages[1]!.actions[0]!.runOrder).toBe(2);
    expect(importPipeline(document, registry).problems).toEqual([]);
  });

  it('a template without a pipeline resource is a problem', () => {
    expect(fromCloudFormation({ Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } }).problems).toEqual([
      expect.objectContaining({ path: 'Resources', rule: 'cloudformation.no-pipeline' }),
    ]);
  });
});
