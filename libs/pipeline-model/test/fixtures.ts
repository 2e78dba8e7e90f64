import { ActionTypeId, PipelineDeclaration } from '../src/declaration';
import { Problem } from '../src/problems';
import { ActionTypeRegistry } from '../src/registry/registry';
import { validatePipeline } from '../src/validate/validate-pipeline';

export const registry = ActionTypeRegistry.standard();

export const GIT: ActionTypeId = { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' };
export const SHELL_BUILD: ActionTypeId = { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' };
export const SHELL_TEST: ActionTypeId = { category: 'Test', owner: 'Pipewright', provider: 'Shell', version: '1' };
export const NOOP_BUILD: ActionTypeId = { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' };
export const DIRECTORY: ActionTypeId = { category: 'Deploy', owner: 'Pipewright', provider: 'Directory', version: '1' };
export const HTTP: ActionTypeId = { category: 'Invoke', owner: 'Pipewright', provider: 'Http', version: '1' };
export const MANUAL: ActionTypeId = { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' };
export const CODEBUILD: ActionTypeId = { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' };
export const CONNECTION: ActionTypeId = { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' };

/** A small valid pipeline of Pipewright's own types: Source → Build → Deploy. */
export function basePipeline(): PipelineDeclaration {
  return {
    name: 'web',
    pipelineType: 'V2',
    stages: [
      {
        name: 'Source',
        actions: [{ name: 'Checkout', actionTypeId: GIT, configuration: { RepositoryUrl: '/srv/git/web.git', Branch: 'main' }, outputArtifacts: [{ name: 'Src' }], namespace: 'SourceVariables' }],
      },
      {
        name: 'Build',
        actions: [{ name: 'Compile', actionTypeId: SHELL_BUILD, runOrder: 1, configuration: { Commands: 'make' }, inputArtifacts: [{ name: 'Src' }], outputArtifacts: [{ name: 'Bin' }] }],
      },
      {
        name: 'Deploy',
        actions: [{ name: 'Publish', actionTypeId: DIRECTORY, configuration: { TargetDirectory: '/srv/www' }, inputArtifacts: [{ name: 'Bin' }] }],
      },
    ],
  };
}

export function problemsOf(declaration: PipelineDeclaration): Pick<Problem, 'path' | 'rule'>[] {
  return validatePipeline(declaration, registry).problems.map(({ path, rule }) => ({ path, rule }));
}

export function warningsOf(declaration: PipelineDeclaration): { path: string; rule: string }[] {
  return validatePipeline(declaration, registry).warnings.map(({ path, rule }) => ({ path, rule }));
}
