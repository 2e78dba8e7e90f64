/** Given a valid pipeline, when one rule of CodePipeline's structure is broken, then exactly that problem. */
import { PipelineDeclaration } from '../src';
import { basePipeline, GIT, problemsOf, registry, SHELL_BUILD } from './fixtures';
import { validatePipeline } from '../src';

const given = (change: (d: PipelineDeclaration) => void): PipelineDeclaration => {
  const declaration = basePipeline();
  change(declaration);
  return declaration;
};

describe('structure rules', () => {
  it('a valid pipeline has no problems and no warnings', () => {
    expect(validatePipeline(basePipeline(), registry)).toEqual({ problems: [], warnings: [] });
  });

  it('a pipeline has at least 2 stages', () => {
    expect(problemsOf(given((d) => d.stages.splice(1)))).toEqual([{ path: 'pipeline.stages', rule: 'pipeline.stages.count' }]);
  });

  it('a pipeline has at most the configured number of stages', () => {
    const declaration = basePipeline();
    expect(validatePipeline(declaration, registry, { maxStages: 2 }).problems.map((p) => p.rule)).toEqual(['pipeline.stages.count']);
  });

  it('a stage has at least one action', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.actions = [])))).toEqual([{ path: 'pipeline.stages[2].actions', rule: 'stage.actions.count' }]);
  });

  it('a stage has at most the configured number of actions', () => {
    const declaration = given((d) => d.stages[2]!.actions.push({ ...d.stages[2]!.actions[0]!, name: 'Publish2' }));
    expect(validatePipeline(declaration, registry, { maxActionsPerStage: 1 }).problems.map((p) => p.path)).toEqual(['pipeline.stages[2].actions']);
  });

  it('the pipeline name matches [A-Za-z0-9.@\\-_]+', () => {
    expect(problemsOf(given((d) => (d.name = 'my pipeline')))).toEqual([{ path: 'pipeline.name', rule: 'pipeline.name' }]);
  });

  it('the pipeline name is at most 100 characters', () => {
    expect(problemsOf(given((d) => (d.name = 'p'.repeat(101))))).toEqual([{ path: 'pipeline.name', rule: 'pipeline.name' }]);
  });

  it('a stage name matches [A-Za-z0-9.@\\-_]+', () => {
    expect(problemsOf(given((d) => (d.stages[1]!.name = 'Build/Test')))).toEqual([{ path: 'pipeline.stages[1].name', rule: 'stage.name' }]);
  });

  it('an action name matches [A-Za-z0-9.@\\-_]+', () => {
    expect(problemsOf(given((d) => (d.stages[1]!.actions[0]!.name = 'Compile!')))).toEqual([{ path: 'pipeline.stages[1].actions[0].name', rule: 'action.name' }]);
  });

  it('a name that breaks the pattern only by a placeholder is a warning', () => {
    const declaration = given((d) => (d.name = '%ServiceName%'));
    expect(validatePipeline(declaration, registry)).toEqual({ problems: [], warnings: [expect.objectContaining({ path: 'pipeline.name', rule: 'placeholder' })] });
  });

  it('stage names are unique', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.name = 'Build')))).toEqual([{ path: 'pipeline.stages[2].name', rule: 'stage.name.duplicate' }]);
  });

  it('action names are unique within a stage', () => {
    const declaration = given((d) => d.stages[1]!.actions.push({ name: 'Compile', actionTypeId: SHELL_BUILD, configuration: { Commands: 'true' }, inputArtifacts: [{ name: 'Src' }] }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[1].name', rule: 'action.name.duplicate' }]);
  });

  it('the same action name may be used in different stages', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.actions[0]!.name = 'Compile')))).toEqual([]);
  });

  it('a Source action is only in the first stage', () => {
    const declaration = given((d) => d.stages[1]!.actions.push({ name: 'Other', actionTypeId: GIT, configuration: { RepositoryUrl: '/r' }, outputArtifacts: [{ name: 'Other' }] }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[1].actionTypeId.category', rule: 'action.source.not-in-first-stage' }]);
  });

  it('the first stage has only Source actions', () => {
    const declaration = given((d) => d.stages[0]!.actions.push({ name: 'Early', actionTypeId: SHELL_BUILD, runOrder: 2, configuration: { Commands: 'true' }, inputArtifacts: [{ name: 'Src' }] }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[0].actions[1].actionTypeId.category', rule: 'stage.first.non-source-action' }]);
  });

  it.each([0, 1000])('runOrder %i is outside 1..999', (runOrder) => {
    expect(problemsOf(given((d) => (d.stages[1]!.actions[0]!.runOrder = runOrder)))).toEqual([{ path: 'pipeline.stages[1].actions[0].runOrder', rule: 'action.run-order' }]);
  });

  it.each([4, 86401])('timeoutInMinutes %i is outside 5..86400', (timeout) => {
    expect(problemsOf(given((d) => (d.stages[1]!.actions[0]!.timeoutInMinutes = timeout)))).toEqual([
      { path: 'pipeline.stages[1].actions[0].timeoutInMinutes', rule: 'action.timeout' },
    ]);
  });

  it('retryPolicy maxAttempts is 1..10', () => {
    expect(problemsOf(given((d) => (d.stages[1]!.actions[0]!.retryPolicy = { maxAttempts: 0, backoffSeconds: 5 })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].retryPolicy.maxAttempts', rule: 'action.retry-policy' },
    ]);
  });

  it('retryPolicy backoffSeconds is 0..3600 and backoffMultiplier 1..10', () => {
    expect(problemsOf(given((d) => (d.stages[1]!.actions[0]!.retryPolicy = { maxAttempts: 3, backoffSeconds: 4000, backoffMultiplier: 0.5 })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].retryPolicy.backoffSeconds', rule: 'action.retry-policy' },
      { path: 'pipeline.stages[1].actions[0].retryPolicy.backoffMultiplier', rule: 'action.retry-policy' },
    ]);
  });

  it('executionMode QUEUED requires V2', () => {
    expect(problemsOf(given((d) => Object.assign(d, { pipelineType: 'V1', executionMode: 'QUEUED' })))).toEqual([
      { path: 'pipeline.executionMode', rule: 'pipeline.execution-mode.v2-only' },
    ]);
  });

  it('executionMode SUPERSEDED is allowed on V1', () => {
    expect(problemsOf(given((d) => Object.assign(d, { pipelineType: 'V1', executionMode: 'SUPERSEDED' })))).toEqual([]);
  });

  it('stage conditions require V2 and are kept with a warning', () => {
    const declaration = given((d) => {
      d.pipelineType = 'V1';
      d.stages[2]!.beforeEntry = { conditions: [{ result: 'FAIL', rules: [{ name: 'Check', ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'VariableCheck', version: '1' } }] }] };
    });
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[2].beforeEntry.conditions', rule: 'stage.conditions.v2-only' }]);
  });

  it('blockers and onFailure ROLLBACK are kept and reported as warnings', () => {
    const declaration = given((d) => {
      d.stages[1]!.blockers = [{ name: 'Freeze', type: 'Schedule' }];
      d.stages[2]!.onFailure = { result: 'ROLLBACK' };
    });
    expect(validatePipeline(declaration, registry).warnings.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'pipeline.stages[1].blockers', rule: 'stage.blockers.not-honoured' },
      { path: 'pipeline.stages[2].onFailure.result', rule: 'stage.on-failure.not-honoured' },
    ]);
  });
});
