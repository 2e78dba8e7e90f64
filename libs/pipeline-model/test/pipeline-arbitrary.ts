/**
 * Generates valid declarations for property tests: 2..6 stages, Source actions first, later stages
 * in parallel runOrder groups, artifacts wired only from upstream, namespaces and variable
 * references that resolve, a mix of built-in and AWS types.
 */
import fc from 'fast-check';
import { ActionDeclaration, ActionTypeId, PipelineDeclaration, PipelineTriggerDeclaration } from '../src';
import { CODEBUILD, CONNECTION, DIRECTORY, GIT, HTTP, MANUAL, NOOP_BUILD, SHELL_BUILD, SHELL_TEST } from './fixtures';

type G = fc.GeneratorValue;

interface Kind {
  id: ActionTypeId;
  inputs: [number, number];
  outputs: [number, number];
  configuration(text: string): Record<string, string>;
}

const LAMBDA: ActionTypeId = { category: 'Invoke', owner: 'AWS', provider: 'Lambda', version: '1' };
const KINDS: Kind[] = [
  { id: SHELL_BUILD, inputs: [1, 3], outputs: [0, 2], configuration: (t) => ({ Commands: `make ${t}` }) },
  { id: SHELL_TEST, inputs: [1, 3], outputs: [0, 1], configuration: (t) => ({ Commands: `make test ${t}` }) },
  { id: NOOP_BUILD, inputs: [0, 2], outputs: [0, 2], configuration: () => ({ SleepMillis: '10' }) },
  { id: DIRECTORY, inputs: [1, 1], outputs: [0, 0], configuration: (t) => ({ TargetDirectory: '/srv/www', DeployCommand: `restart ${t}` }) },
  { id: HTTP, inputs: [0, 2], outputs: [0, 1], configuration: (t) => ({ Url: 'http://localhost:8080/hook', Method: 'POST', Body: t }) },
  { id: CODEBUILD, inputs: [1, 3], outputs: [0, 2], configuration: (t) => ({ ProjectName: 'web', EnvironmentVariables: JSON.stringify([{ name: 'V', value: t, type: 'PLAINTEXT' }]) }) },
  { id: MANUAL, inputs: [0, 0], outputs: [0, 0], configuration: (t) => ({ CustomData: `approve ${t}` }) },
  { id: LAMBDA, inputs: [0, 2], outputs: [0, 2], configuration: (t) => ({ FunctionName: 'notify', UserParameters: t }) },
];

const SOURCES: { id: ActionTypeId; configuration: Record<string, string>; triggerable: boolean }[] = [
  { id: GIT, configuration: { RepositoryUrl: 'https://git.example.com/web.git', Branch: 'main' }, triggerable: true },
  { id: { category: 'Source', owner: 'AWS', provider: 'CodeCommit', version: '1' }, configuration: { RepositoryName: 'web', BranchName: 'main' }, triggerable: false },
  {
    id: CONNECTION,
    configuration: { ConnectionArn: 'arn:aws:codeconnections:eu-west-1:111122223333:connection/00000000-0000-0000-0000-000000000000', FullRepositoryId: 'org/web', BranchName: 'main' },
    triggerable: true,
  },
];

const int = (g: G, min: number, max: number): number => g(fc.integer, { min, max });
const pick = <T>(g: G, items: readonly T[]): T => items[int(g, 0, items.length - 1)]!;
const name = (g: G, pattern: RegExp): string => g(fc.stringMatching, pattern);

export function generatePipeline(g: G): PipelineDeclaration {
  const artifactPrefix = name(g, /^[a-zA-Z0-9_-]{1,10}$/);
  let artifactCount = 0;
  let namespaceCount = 0;
  const newArtifact = () => ({ name: `${artifactPrefix}${artifactCount++}` });
  const variables = Array.from({ length: int(g, 0, 3) }, (_, i) => ({ name: `var${i}`, defaultValue: 'default' }));
  const available: string[] = [];
  const namespaces: string[] = [];
  const reference = (): string => {
    const options = ['plain', '#{codepipeline.PipelineExecutionId}', ...namespaces.map((ns) => `#{${ns}.CommitId}`), ...variables.map((v) => `#{variables.${v.name}}`)];
    return pick(g, options);
  };
  const maybeNamespace = (): { namespace?: string } => (g(fc.boolean) ? { namespace: `Ns${namespaceCount++}` } : {});

  const sourceActions: ActionDeclaration[] = Array.from({ length: int(g, 1, 2) }, (_, i) => {
    const source = pick(g, SOURCES);
    return { name: `src-${i}`, actionTypeId: source.id, runOrder: 1, configuration: { ...source.configuration }, outputArtifacts: [newArtifact()], ...maybeNamespace() };
  });
  const stages = [{ name: `${name(g, /^[A-Za-z0-9.@_-]{1,12}$/)}-0`, actions: sourceActions }];
  const publish = (actions: ActionDeclaration[]) => {
    for (const action of actions) {
      available.push(...(action.outputArtifacts ?? []).map((a) => a.name));
      if (action.namespace) namespaces.push(action.namespace);
    }
  };
  publish(sourceActions);

  const stageCount = int(g, 2, 6);
  for (let s = 1; s < stageCount; s++) {
    const runOrders = [...new Set(Array.from({ length: int(g, 1, 3) }, () => int(g, 1, 999)))].sort((a, b) => a - b);
    const actions: ActionDeclaration[] = [];
    for (const runOrder of runOrders) {
      const group: ActionDeclaration[] = Array.from({ length: int(g, 1, 3) }, () => {
        const kind = pick(g, KINDS.filter((k) => k.inputs[0] <= available.length));
        const inputCount = int(g, kind.inputs[0], Math.min(kind.inputs[1], available.length));
        const inputs = g(fc.shuffledSubarray, [...available], { minLength: inputCount, maxLength: inputCount });
        const outputs = Array.from({ length: int(g, kind.outputs[0], kind.outputs[1]) }, newArtifact);
        return {
          name: `act-${actions.length}-${runOrder}`,
          actionTypeId: kind.id,
          runOrder,
          configuration: kind.configuration(reference()),
          inputArtifacts: inputs.map((n: string) => ({ name: n })),
          outputArtifacts: outputs,
          ...maybeNamespace(),
        };
      }).map((action, i) => ({ ...action, name: `act-${actions.length + i}` }));
      actions.push(...group);
      publish(group); // after the whole group: actions of one runOrder cannot feed each other
    }
    stages.push({ name: `${name(g, /^[A-Za-z0-9.@_-]{1,12}$/)}-${s}`, actions });
  }

  const triggerable = sourceActions.filter((a) => SOURCES.find((s) => s.id === a.actionTypeId)!.triggerable);
  const triggers: PipelineTriggerDeclaration[] = triggerable.length > 0 && g(fc.boolean)
    ? [{ providerType: 'CodeStarSourceConnection', gitConfiguration: { sourceActionName: triggerable[0]!.name, push: [{ branches: { includes: ['main'] } }] } }]
    : [];
  return {
    name: name(g, /^[A-Za-z0-9.@_-]{1,30}$/),
    pipelineType: 'V2',
    executionMode: pick(g, ['SUPERSEDED', 'QUEUED', 'PARALLEL'] as const),
    stages,
    ...(variables.length > 0 ? { variables } : {}),
    ...(triggers.length > 0 ? { triggers } : {}),
  };
}
