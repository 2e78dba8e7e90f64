/** Given a valid pipeline, when an artifact or configuration rule is broken, then exactly that problem. */
import { PipelineDeclaration, validatePipeline } from '../src';
import { basePipeline, CODEBUILD, HTTP, NOOP_BUILD, problemsOf, registry, SHELL_BUILD, warningsOf } from './fixtures';

const given = (change: (d: PipelineDeclaration) => void): PipelineDeclaration => {
  const declaration = basePipeline();
  change(declaration);
  return declaration;
};
const build = (d: PipelineDeclaration) => d.stages[1]!.actions[0]!;

describe('artifact rules', () => {
  it('an artifact name matches [a-zA-Z0-9_\\-]+', () => {
    expect(problemsOf(given((d) => { d.stages[0]!.actions[0]!.outputArtifacts = [{ name: 'src.zip' }]; build(d).inputArtifacts = [{ name: 'src.zip' }]; }))).toEqual([
      { path: 'pipeline.stages[0].actions[0].outputArtifacts[0].name', rule: 'artifact.name' },
      { path: 'pipeline.stages[1].actions[0].inputArtifacts[0].name', rule: 'artifact.name' },
    ]);
  });

  it('an input artifact must be produced by some action', () => {
    expect(problemsOf(given((d) => (build(d).inputArtifacts = [{ name: 'Nowhere' }])))).toEqual([
      { path: 'pipeline.stages[1].actions[0].inputArtifacts[0].name', rule: 'artifact.input.not-upstream' },
    ]);
  });

  it('an input artifact of the same runOrder is not upstream (those actions run in parallel)', () => {
    const declaration = given((d) => d.stages[1]!.actions.push({ name: 'Package', actionTypeId: NOOP_BUILD, runOrder: 1, inputArtifacts: [{ name: 'Bin' }] }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[1].inputArtifacts[0].name', rule: 'artifact.input.not-upstream' }]);
  });

  it('an input artifact of a lower runOrder in the same stage is upstream', () => {
    const declaration = given((d) => d.stages[1]!.actions.push({ name: 'Package', actionTypeId: NOOP_BUILD, runOrder: 2, inputArtifacts: [{ name: 'Bin' }] }));
    expect(problemsOf(declaration)).toEqual([]);
  });

  it('output artifact names are unique in the pipeline', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.actions[0]!.inputArtifacts = [{ name: 'Bin' }], build(d).outputArtifacts = [{ name: 'Src' }])))).toEqual(
      expect.arrayContaining([{ path: 'pipeline.stages[1].actions[0].outputArtifacts[0].name', rule: 'artifact.output.duplicate' }]),
    );
  });

  it('an action lists an input artifact once', () => {
    expect(problemsOf(given((d) => (build(d).inputArtifacts = [{ name: 'Src' }, { name: 'Src' }])))).toEqual([
      { path: 'pipeline.stages[1].actions[0].inputArtifacts[1].name', rule: 'artifact.input.duplicate' },
    ]);
  });

  it('input artifact counts follow the action type', () => {
    expect(problemsOf(given((d) => delete build(d).inputArtifacts))).toEqual([{ path: 'pipeline.stages[1].actions[0].inputArtifacts', rule: 'action.input-artifacts.count' }]);
  });

  it('output artifact counts follow the action type', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.actions[0]!.outputArtifacts = [{ name: 'Released' }])))).toEqual([
      { path: 'pipeline.stages[2].actions[0].outputArtifacts', rule: 'action.output-artifacts.count' },
    ]);
  });
});

describe('action type and configuration rules', () => {
  it('an action type must exist', () => {
    expect(problemsOf(given((d) => (build(d).actionTypeId = { ...SHELL_BUILD, provider: 'Bash' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].actionTypeId', rule: 'action.type.unknown' },
    ]);
  });

  it('required configuration properties are present', () => {
    expect(problemsOf(given((d) => (d.stages[2]!.actions[0]!.configuration = {})))).toEqual([
      { path: 'pipeline.stages[2].actions[0].configuration.TargetDirectory', rule: 'action.configuration.required' },
    ]);
  });

  it('a shell action needs Commands or BuildSpec', () => {
    expect(problemsOf(given((d) => (build(d).configuration = {})))).toEqual([{ path: 'pipeline.stages[1].actions[0].configuration', rule: 'action.configuration.one-of-required' }]);
  });

  it('an unknown configuration key of a built-in type is a problem', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'make', Shell: 'zsh' })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Shell', rule: 'action.configuration.unknown-key' },
    ]);
  });

  it('an unknown configuration key of an AWS type is a warning', () => {
    const declaration = given((d) => Object.assign(build(d), { actionTypeId: CODEBUILD, configuration: { ProjectName: 'web', ProjectNmae: 'typo' } }));
    expect(problemsOf(declaration)).toEqual([]);
    expect(warningsOf(declaration)).toContainEqual({ path: 'pipeline.stages[1].actions[0].configuration.ProjectNmae', rule: 'action.configuration.unknown-key' });
  });

  it('a configuration key is at most 50 characters', () => {
    const key = 'K'.repeat(51);
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'make', [key]: 'v' })))).toEqual(
      expect.arrayContaining([{ path: `pipeline.stages[1].actions[0].configuration.${key}`, rule: 'action.configuration.key-length' }]),
    );
  });

  it('a configuration value is 1..1000 characters', () => {
    expect(problemsOf(given((d) => (build(d).configuration = { Commands: 'x'.repeat(1001) })))).toEqual([
      { path: 'pipeline.stages[1].actions[0].configuration.Commands', rule: 'action.configuration.value-length' },
    ]);
  });

  it('an enumerated configuration value is one of its allowed values', () => {
    const declaration = given((d) => d.stages[2]!.actions.push({ name: 'Notify', actionTypeId: HTTP, runOrder: 2, configuration: { Url: 'http://localhost/hook', Method: 'FETCH' } }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[2].actions[1].configuration.Method', rule: 'action.configuration.allowed-value' }]);
  });

  it('a placeholder in an enumerated value is a warning, not a problem', () => {
    const declaration = given((d) => d.stages[2]!.actions.push({ name: 'Notify', actionTypeId: HTTP, runOrder: 2, configuration: { Url: 'http://localhost/hook', Method: '{{Method}}' } }));
    expect(problemsOf(declaration)).toEqual([]);
    expect(warningsOf(declaration)).toEqual([{ path: 'pipeline.stages[2].actions[1].configuration.Method', rule: 'placeholder' }]);
  });

  it('a property naming an input artifact names one of the action inputs', () => {
    const declaration = given((d) => Object.assign(build(d), { actionTypeId: CODEBUILD, configuration: { ProjectName: 'web', PrimarySource: 'Bin' } }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[0].configuration.PrimarySource', rule: 'action.configuration.artifact-reference' }]);
  });

  it('Compute/Commands requires commands', () => {
    const declaration = given((d) => Object.assign(build(d), { actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' }, configuration: {} }));
    expect(problemsOf(declaration)).toEqual([{ path: 'pipeline.stages[1].actions[0].commands', rule: 'action.commands.required' }]);
  });

  it('commands on a type that takes none are a problem', () => {
    expect(problemsOf(given((d) => (build(d).commands = ['make'])))).toEqual([{ path: 'pipeline.stages[1].actions[0].commands', rule: 'action.commands.unsupported' }]);
  });

  it('an AWS type Pipewright does not run is reported as awaiting a worker', () => {
    const declaration = given((d) => Object.assign(build(d), { actionTypeId: CODEBUILD, configuration: { ProjectName: 'web' } }));
    expect(validatePipeline(declaration, registry).warnings.map((w) => w.rule)).toContain('action.type.awaits-worker');
  });
});
