/** The action type registry: catalog, built-in providers, custom types, and who executes what. */
import { ActionTypeAlreadyExists, actionsAwaitingWorker, ActionTypeRegistry, AWS_ACTION_TYPES, CustomActionType, InvalidCustomActionType, PipelineDeclaration, validatePipeline } from '../src';
import { basePipeline, CODEBUILD, problemsOf } from './fixtures';

const jenkins: CustomActionType = {
  category: 'Build',
  provider: 'project-jenkins',
  version: '4',
  configurationProperties: [{ name: 'ProjectName', required: true, key: true, secret: false, queryable: true }],
  inputArtifactDetails: { minimumCount: 1, maximumCount: 5 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 5 },
};
const jenkinsId = { category: 'Build', owner: 'Custom', provider: 'project-jenkins', version: '4' } as const;

describe('ActionTypeRegistry', () => {
  const registry = ActionTypeRegistry.standard();

  it('resolves a catalog type as aws-catalog, not executed by Pipewright', () => {
    expect(registry.resolve(CODEBUILD)).toEqual(expect.objectContaining({ kind: 'aws-catalog', executable: false }));
  });

  it('resolves Approval/AWS/Manual and Compute/AWS/Commands as executed by Pipewright', () => {
    expect(registry.resolve({ category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' })?.executable).toBe(true);
    expect(registry.resolve({ category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' })?.executable).toBe(true);
  });

  it('resolves built-in providers as built-in and executable', () => {
    const resolved = registry.resolve({ category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' });
    expect(resolved).toEqual(expect.objectContaining({ kind: 'built-in', executable: true }));
    expect(resolved?.definition.inputArtifactDetails).toEqual({ minimumCount: 0, maximumCount: 0 });
  });

  it('does not resolve an unknown type', () => {
    expect(registry.resolve({ category: 'Source', owner: 'AWS', provider: 'GitHub', version: '1' })).toBeUndefined();
  });

  it('covers the catalog the brief names', () => {
    const keys = AWS_ACTION_TYPES.map((t) => `${t.id.category}/${t.id.owner}/${t.id.provider}`);
    expect(keys).toEqual(expect.arrayContaining([
      'Source/AWS/S3', 'Source/AWS/CodeCommit', 'Source/AWS/ECR', 'Source/AWS/CodeStarSourceConnection', 'Source/ThirdParty/GitHub',
      'Build/AWS/CodeBuild', 'Build/AWS/ECRBuildAndPublish', 'Test/AWS/CodeBuild', 'Test/AWS/DeviceFarm', 'Invoke/AWS/InspectorScan',
      'Deploy/AWS/S3', 'Deploy/AWS/CodeDeploy', 'Deploy/AWS/CodeDeployToECS', 'Deploy/AWS/ECS', 'Deploy/AWS/CloudFormation',
      'Deploy/AWS/CloudFormationStackSet', 'Deploy/AWS/CloudFormationStackInstances', 'Deploy/AWS/ElasticBeanstalk', 'Deploy/AWS/OpsWorks',
      'Deploy/AWS/ServiceCatalog', 'Deploy/AWS/AppConfig', 'Deploy/ThirdParty/AlexaSkillsKit', 'Deploy/AWS/Lambda', 'Deploy/AWS/EC2',
      'Deploy/AWS/EKS', 'Invoke/AWS/Lambda', 'Invoke/AWS/StepFunctions', 'Approval/AWS/Manual', 'Compute/AWS/Commands',
    ]));
  });

  it('registers a custom type as custom, awaiting a worker', () => {
    expect(registry.withCustomActionType(jenkins).resolve(jenkinsId)).toEqual(expect.objectContaining({ kind: 'custom', executable: false }));
    expect(registry.resolve(jenkinsId)).toBeUndefined();
  });

  it('refuses to register the same custom type twice', () => {
    expect(() => registry.withCustomActionType(jenkins).withCustomActionType(jenkins)).toThrow(ActionTypeAlreadyExists);
  });

  it('refuses an invalid custom type with every problem', () => {
    const invalid = { ...jenkins, provider: 'has space', inputArtifactDetails: { minimumCount: 3, maximumCount: 1 } };
    expect(() => registry.withCustomActionType(invalid)).toThrow(InvalidCustomActionType);
    try {
      registry.withCustomActionType(invalid);
    } catch (error) {
      expect((error as InvalidCustomActionType).problems.map((p) => p.path)).toEqual(['actionType.provider', 'actionType.inputArtifactDetails']);
    }
  });

  it('lists types by owner', () => {
    expect(registry.list({ owner: 'Pipewright' }).map((t) => t.definition.id.provider).sort()).toEqual(['Directory', 'Git', 'Http', 'NoOp', 'NoOp', 'Shell', 'Shell']);
  });

  it('validates actions of custom types: unknown configuration keys are problems', () => {
    const custom = ActionTypeRegistry.standard([jenkins]);
    const declaration: PipelineDeclaration = basePipeline();
    Object.assign(declaration.stages[1]!.actions[0]!, { actionTypeId: jenkinsId, configuration: { ProjectName: 'web', Extra: 'x' } });
    expect(validatePipeline(declaration, custom).problems.map((p) => [p.path, p.rule])).toEqual([['pipeline.stages[1].actions[0].configuration.Extra', 'action.configuration.unknown-key']]);
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[0].actionTypeId', rule: 'action.type.unknown' }]);
  });
});

describe('actionsAwaitingWorker', () => {
  it('lists the actions no built-in provider executes', () => {
    const registry = ActionTypeRegistry.standard([jenkins]);
    const declaration = basePipeline();
    Object.assign(declaration.stages[1]!.actions[0]!, { actionTypeId: jenkinsId, configuration: { ProjectName: 'web' } });
    declaration.stages[2]!.actions.push({ name: 'Approve', actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' }, runOrder: 2 });
    expect(actionsAwaitingWorker(declaration, registry)).toEqual([
      { path: 'pipeline.stages[1].actions[0]', stageName: 'Build', actionName: 'Compile', actionTypeId: jenkinsId, kind: 'custom' },
    ]);
  });
});
