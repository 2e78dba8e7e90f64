/** Given a valid pipeline, when a variable or trigger rule is broken, then exactly that problem. */
import { PipelineDeclaration, PipelineTriggerDeclaration } from '../src';
import { basePipeline, CONNECTION, problemsOf } from './fixtures';

const given = (change: (d: PipelineDeclaration) => void): PipelineDeclaration => {
  const declaration = basePipeline();
  change(declaration);
  return declaration;
};
const build = (d: PipelineDeclaration) => d.stages[1]!.actions[0]!;
const trigger = (gitConfiguration: Partial<PipelineTriggerDeclaration['gitConfiguration']>): PipelineTriggerDeclaration => ({
  providerType: 'CodeStarSourceConnection',
  gitConfiguration: { sourceActionName: 'Checkout', ...gitConfiguration },
});

describe('variable rules', () => {
  it('#{Namespace.Variable} of an upstream namespace resolves', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'make VERSION=#{SourceVariables.CommitId}' })))).toEqual([]);
  });

  it('#{Namespace.Variable} of an undeclared namespace is a problem', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'echo #{BuildVariables.Tag}' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'variable.reference.namespace-not-upstream' },
    ]);
  });

  it('#{Namespace.Variable} of a namespace declared downstream is a problem', () => {
    const declaration = given((d) => {
      d.stages[2]!.actions[0]!.namespace = 'DeployVariables';
      build(d).configuration = { Commands: 'echo #{DeployVariables.Url}' };
    });
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'variable.reference.namespace-not-upstream' }]);
  });

  it('references in commands and environment variables are checked too', () => {
    const declaration = given((d) => Object.assign(build(d), {
      actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' },
      configuration: {},
      commands: ['echo #{Missing.A}'],
      environmentVariables: [{ name: 'B', value: '#{Missing.B}' }],
      outputArtifacts: [],
    }));
    expect(problemsOf(declaration)).toEqual(expect.arrayContaining([
      { path: 'pipeline.stages[1].actions[0].commands[0]', rule: 'variable.reference.namespace-not-upstream' },
      { path: 'pipeline.stages[1].actions[0].environmentVariables[0].value', rule: 'variable.reference.namespace-not-upstream' },
    ]));
  });

  it('#{codepipeline.PipelineExecutionId} is CodePipeline\'s own variable', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'echo #{codepipeline.PipelineExecutionId}' })))).toEqual([]);
  });

  it('#{codepipeline.Other} is not a CodePipeline variable', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'echo #{codepipeline.Other}' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'variable.reference.codepipeline-unknown' },
    ]);
  });

  it('#{variables.name} names a declared pipeline variable', () => {
    expect(problemsOf(given((d) => (d.variables = [{ name: 'target', defaultValue: 'prod' }], build(d).configuration = { Commands: 'make #{variables.target}' })))).toEqual([]);
  });

  it('#{variables.name} of an undeclared pipeline variable is a problem', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'make #{variables.target}' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'variable.reference.pipeline-variable-undeclared' },
    ]);
  });

  it('#{secrets.name} is left for the job to resolve: no declaration needed', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'deploy --token #{secrets.deploy-token.v2}' })))).toEqual([]);
  });

  it('#{secrets.name} with a character a secret name cannot have is a problem', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'echo #{secrets.a@b}' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'variable.reference.secret-name' },
    ]);
  });

  it('secrets is a reserved namespace', () => {
    expect(problemsOf(given((d) => (build(d).namespace = 'secrets')))).toEqual([{ path: 'pipeline.stages[1].actions[0].namespace', rule: 'namespace.name' }]);
  });

  it('namespaces are unique in the pipeline', () => {
    expect(problemsOf(given((d) => (build(d).namespace = 'SourceVariables')))).toEqual([{ path: 'pipeline.stages[1].actions[0].namespace', rule: 'namespace.duplicate' }]);
  });

  it('a namespace matches [A-Za-z0-9@\\-_]+', () => {
    expect(problemsOf(given((d) => (build(d).namespace = 'Build.Vars')))).toEqual([{ path: 'pipeline.stages[1].actions[0].namespace', rule: 'namespace.name' }]);
  });

  it('pipeline variable names match [A-Za-z0-9@\\-_]+', () => {
    expect(problemsOf(given((d) => (d.variables = [{ name: 'my var' }])))).toEqual([{ path: 'pipeline.variables[0].name', rule: 'variable.name' }]);
  });

  it('pipeline variable names are unique', () => {
    expect(problemsOf(given((d) => (d.variables = [{ name: 'a' }, { name: 'a' }])))).toEqual([{ path: 'pipeline.variables[1].name', rule: 'variable.name.duplicate' }]);
  });

  it('a default value is 1..1000 characters', () => {
    expect(problemsOf(given((d) => (d.variables = [{ name: 'a', defaultValue: 'x'.repeat(1001) }])))).toEqual([{ path: 'pipeline.variables[0].defaultValue', rule: 'variable.default-value' }]);
  });

  it('pipeline variables require V2', () => {
    expect(problemsOf(given((d) => (d.pipelineType = 'V1', d.variables = [{ name: 'a' }])))).toEqual([{ path: 'pipeline.variables', rule: 'pipeline.variables.v2-only' }]);
  });
});

describe('trigger rules', () => {
  it('a trigger on a Git source with a push filter is valid', () => {
    expect(problemsOf(given((d) => (d.triggers = [trigger({ push: [{ branches: { includes: ['main'] }, filePaths: { includes: ['src/**'] } }] })])))).toEqual([]);
  });

  it('triggers require V2', () => {
    expect(problemsOf(given((d) => (d.pipelineType = 'V1', d.triggers = [trigger({})])))).toEqual([{ path: 'pipeline.triggers', rule: 'trigger.v2-only' }]);
  });

  it('sourceActionName names a Source action', () => {
    expect(problemsOf(given((d) => (d.triggers = [trigger({ sourceActionName: 'Compile' })])))).toEqual([
      { path: 'pipeline.triggers[0].gitConfiguration.sourceActionName', rule: 'trigger.source-action' },
    ]);
  });

  it('sourceActionName names a source of a provider that triggers support', () => {
    const declaration = given((d) => {
      d.stages[0]!.actions[0]!.actionTypeId = { category: 'Source', owner: 'AWS', provider: 'S3', version: '1' };
      d.stages[0]!.actions[0]!.configuration = { S3Bucket: 'b', S3ObjectKey: 'k.zip' };
      d.triggers = [trigger({})];
    });
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.triggers[0].gitConfiguration.sourceActionName', rule: 'trigger.source-action' }]);
  });

  it('a CodeStarSourceConnection source can be triggered', () => {
    const declaration = given((d) => {
      Object.assign(d.stages[0]!.actions[0]!, { actionTypeId: CONNECTION, configuration: { ConnectionArn: 'arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000', FullRepositoryId: 'o/r', BranchName: 'main' } });
      d.triggers = [trigger({ pullRequest: [{ events: ['OPEN'], branches: { includes: ['main'] } }] })];
    });
    expect(problemsOf(declaration)).toEqual([]);
  });

  it('two triggers cannot name the same source action', () => {
    expect(problemsOf(given((d) => (d.triggers = [trigger({}), trigger({})])))).toEqual([
      { path: 'pipeline.triggers[1].gitConfiguration.sourceActionName', rule: 'trigger.source-action.duplicate' },
    ]);
  });

  it('at most 3 push filters', () => {
    const push = [1, 2, 3, 4].map((n) => ({ branches: { includes: [`b${n}`] } }));
    expect(problemsOf(given((d) => (d.triggers = [trigger({ push })])))).toEqual([{ path: 'pipeline.triggers[0].gitConfiguration.push', rule: 'trigger.filters.count' }]);
  });

  it('at most 3 pull request filters', () => {
    const pullRequest = [1, 2, 3, 4].map((n) => ({ branches: { includes: [`b${n}`] } }));
    expect(problemsOf(given((d) => (d.triggers = [trigger({ pullRequest })])))).toEqual([{ path: 'pipeline.triggers[0].gitConfiguration.pullRequest', rule: 'trigger.filters.count' }]);
  });

  it('at most 8 includes per criteria', () => {
    const includes = Array.from({ length: 9 }, (_, i) => `b${i}`);
    expect(problemsOf(given((d) => (d.triggers = [trigger({ push: [{ branches: { includes } }] })])))).toEqual([
      { path: 'pipeline.triggers[0].gitConfiguration.push[0].branches.includes', rule: 'trigger.criteria.count' },
    ]);
  });

  it('at most 8 excludes per criteria', () => {
    const excludes = Array.from({ length: 9 }, (_, i) => `p${i}/**`);
    expect(problemsOf(given((d) => (d.triggers = [trigger({ push: [{ branches: { includes: ['main'] }, filePaths: { excludes } }] })])))).toEqual([
      { path: 'pipeline.triggers[0].gitConfiguration.push[0].filePaths.excludes', rule: 'trigger.criteria.count' },
    ]);
  });

  it('a push filter on tags cannot also filter branches', () => {
    expect(problemsOf(given((d) => (d.triggers = [trigger({ push: [{ tags: { includes: ['v*'] }, branches: { includes: ['main'] } }] })])))).toEqual([
      { path: 'pipeline.triggers[0].gitConfiguration.push[0].tags', rule: 'trigger.push.tags-exclusive' },
    ]);
  });

  it('pull request events are distinct', () => {
    expect(problemsOf(given((d) => (d.triggers = [trigger({ pullRequest: [{ events: ['OPEN', 'OPEN'] }] })])))).toEqual([
      { path: 'pipeline.triggers[0].gitConfiguration.pullRequest[0].events', rule: 'trigger.pull-request.events' },
    ]);
  });
});
