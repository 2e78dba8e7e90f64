/**
 * Real declarations people published (shared/corpus/codepipeline, beside the repository): the valid ones import as
 * they are and read back equal; each INVALID one is rejected naming its real problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { actionsAwaitingWorker, importPipeline, readPipelineDocument } from '../src';
import { registry } from './fixtures';

// The repository's clone has shared/ beside it, on developers' machines and in CI alike.
const CORPUS = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'codepipeline');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.json'));
const load = (file: string): unknown => JSON.parse(readFileSync(join(CORPUS, file), 'utf8'));
const pipelineOf = (document: unknown) => {
  const d = document as Record<string, unknown>;
  return 'pipeline' in d ? d.pipeline : d;
};

describe('corpus: valid declarations', () => {
  const valid = files.filter((f) => !f.includes('INVALID'));

  it('has the files it is about', () => {
    expect(valid.length).toBeGreaterThanOrEqual(29);
  });

  it.each(valid)('%s imports with zero problems and reads back equal', (file) => {
    const document = load(file);
    const result = importPipeline(document, registry);
    expect(result.problems).toEqual([]);
    expect(result.declaration).toEqual(pipelineOf(document));
  });

  it.each(valid.filter((f) => 'metadata' in (load(f) as object)))('%s: metadata is ignored with a warning', (file) => {
    expect(readPipelineDocument(load(file)).warnings).toContainEqual(expect.objectContaining({ path: 'metadata', rule: 'document.metadata-ignored' }));
  });

  it('returns tags given beside the pipeline (11)', () => {
    const result = readPipelineDocument(load('11-world-app-s3-deploy-tags.json'));
    expect(result.tags).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('warns about the %placeholder% pipeline name instead of rejecting it (13)', () => {
    expect(importPipeline(load('13-payment-gateway-ecs-approval-template.json'), registry).warnings).toContainEqual(
      expect.objectContaining({ path: 'pipeline.name', rule: 'placeholder' }),
    );
  });

  it('warns that Deploy/Lambda is V2-only on a V1 pipeline (21)', () => {
    expect(importPipeline(load('21-etl-lambda-deploy-action.json'), registry).warnings).toContainEqual(
      expect.objectContaining({ path: 'pipeline.stages[2].actions[0].actionTypeId', rule: 'action.type.v2-only' }),
    );
  });

  it('keeps stage conditions and says Pipewright does not evaluate them (25)', () => {
    expect(importPipeline(load('25-soil-sensor-v2-commands-conditions-pr-trigger.json'), registry).warnings).toContainEqual(
      expect.objectContaining({ path: 'pipeline.stages[2].beforeEntry.conditions', rule: 'stage.conditions.not-honoured' }),
    );
  });

  it('warns about a malformed role ARN without rejecting it (39)', () => {
    expect(importPipeline(load('39-case-management-parallel-builds-placeholder-rolearn.json'), registry).warnings).toContainEqual(
      expect.objectContaining({ path: 'pipeline.roleArn', rule: 'aws.role-arn' }),
    );
  });

  it('lists the AWS actions that wait for a worker and not the approval Pipewright runs (38)', () => {
    const declaration = importPipeline(load('38-cheatsheet-v2-approval-execution-id-variable.json'), registry).declaration!;
    expect(actionsAwaitingWorker(declaration, registry).map((a) => a.actionName)).toEqual(['GitHub', 'BuildAndTest', 'CodeDeploy']);
  });
});

describe('corpus: INVALID declarations', () => {
  const rejected = (file: string) => {
    const result = importPipeline(load(file), registry);
    expect(result.declaration).toBeUndefined();
    return result.problems.map(({ path, rule }) => ({ path, rule }));
  };

  it('covers every INVALID file', () => {
    expect(files.filter((f) => f.includes('INVALID')).sort()).toEqual([
      '15-cinema-INVALID-github-owner-aws.json',
      '22-stage-order-INVALID-source-not-first.json',
      '29-fintech-lab-INVALID-ecs-bluegreen-missing-config.json',
      '33-agent-marketing-INVALID-outputartifactformat.json',
      '37-contact-service-INVALID-sketch-no-role-no-store.json',
      '42-multi-region-INVALID-no-stages-kms-artifactstores.json',
    ]);
  });

  it('15: GitHub with owner AWS is no action type (v1 GitHub is ThirdParty); the stray buildProject is a warning', () => {
    expect(rejected('15-cinema-INVALID-github-owner-aws.json')).toEqual([{ path: 'pipeline.stages[0].actions[0].actionTypeId', rule: 'action.type.unknown' }]);
    expect(readPipelineDocument(load('15-cinema-INVALID-github-owner-aws.json')).warnings).toEqual([
      expect.objectContaining({ path: 'buildProject', rule: 'document.stray-key' }),
    ]);
  });

  it('22: the first stage is not a Source stage, the Source stage comes later, and the build input is not upstream', () => {
    expect(rejected('22-stage-order-INVALID-source-not-first.json')).toEqual([
      { path: 'pipeline.stages[0].actions[0].actionTypeId.category', rule: 'stage.first.non-source-action' },
      { path: 'pipeline.stages[1].actions[0].actionTypeId.category', rule: 'action.source.not-in-first-stage' },
      { path: 'pipeline.stages[0].actions[0].inputArtifacts[0].name', rule: 'artifact.input.not-upstream' },
    ]);
  });

  it('29: CodeDeployToECS without TaskDefinitionTemplateArtifact and AppSpecTemplateArtifact', () => {
    expect(rejected('29-fintech-lab-INVALID-ecs-bluegreen-missing-config.json')).toEqual([
      { path: 'pipeline.stages[5].actions[0].configuration.TaskDefinitionTemplateArtifact', rule: 'action.configuration.required' },
      { path: 'pipeline.stages[5].actions[0].configuration.AppSpecTemplateArtifact', rule: 'action.configuration.required' },
    ]);
  });

  it('33: OutputArtifactFormat CODEPIPELINE_DEFAULT is not a value CodeStarSourceConnection accepts', () => {
    expect(rejected('33-agent-marketing-INVALID-outputartifactformat.json')).toEqual([
      { path: 'pipeline.stages[0].actions[0].configuration.OutputArtifactFormat', rule: 'action.configuration.allowed-value' },
    ]);
  });

  it('37: ECR source without its output artifact and CodeBuild actions without input artifacts; missing role and store are warnings', () => {
    const file = '37-contact-service-INVALID-sketch-no-role-no-store.json';
    expect(rejected(file)).toEqual([
      { path: 'pipeline.stages[0].actions[0].outputArtifacts', rule: 'action.output-artifacts.count' },
      { path: 'pipeline.stages[1].actions[0].inputArtifacts', rule: 'action.input-artifacts.count' },
      { path: 'pipeline.stages[3].actions[0].inputArtifacts', rule: 'action.input-artifacts.count' },
    ]);
    const warnings = importPipeline(load(file), registry).warnings.map(({ path, rule }) => ({ path, rule }));
    expect(warnings).toEqual(expect.arrayContaining([{ path: 'pipeline.roleArn', rule: 'aws.role-arn' }, { path: 'pipeline', rule: 'aws.artifact-store' }]));
  });

  it('42: a pipeline without stages', () => {
    expect(rejected('42-multi-region-INVALID-no-stages-kms-artifactstores.json')).toEqual([{ path: 'pipeline.stages', rule: 'shape.required' }]);
  });
});
