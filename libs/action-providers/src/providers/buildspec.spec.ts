import { JobFailure } from '../job';
import { parseBuildSpec } from './buildspec';
import { statusMatcher } from './http-invoke';

const refusal = (text: string) => {
  try {
    parseBuildSpec(text, 'buildspec.yml');
  } catch (error) {
    return error as JobFailure;
  }
  throw new Error('expected a refusal');
};

describe('parseBuildSpec', () => {
  it('reads variables, exported variables, phases and artifacts', () => {
    const spec = parseBuildSpec(
      'version: 0.2\nenv:\n  variables: {A: 1}\n  exported-variables: [B]\nphases:\n  build:\n    commands: [make]\n    finally: [echo done]\nartifacts:\n  files: ["**/*"]\n  base-directory: dist\n  discard-paths: yes\n  secondary-artifacts:\n    Docs:\n      files: [docs/*]\n',
      'buildspec.yml',
    );
    expect(spec).toEqual({
      variables: { A: '1' },
      exportedVariables: ['B'],
      phases: { build: { commands: ['make'], finally: ['echo done'], onFailure: undefined } },
      artifacts: { files: ['**/*'], baseDirectory: 'dist', discardPaths: true },
      secondaryArtifacts: { Docs: { files: ['docs/*'], baseDirectory: undefined, discardPaths: false } },
    });
  });

  it.each([
    ['phases:\n  compile:\n    commands: [make]\n', 'unknown phase compile'],
    ['phases: {}\n', 'no phases'],
    ['version: 9\nphases:\n  build:\n    commands: [x]\n', 'unsupported version 9'],
    ['env:\n  exported-variables: ["not-a-name"]\nphases:\n  build:\n    commands: [x]\n', 'not a variable name'],
    ['env:\n  secrets-manager: {}\nphases:\n  build:\n    commands: [x]\n', 'env.secrets-manager is not supported'],
    ['phases:\n  build:\n    commands: [x]\n    on-failure: RETRY\n', 'on-failure'],
    ['phases: [\n', 'not valid YAML'],
    ['- just a list\n', 'must be a mapping'],
  ])('refuses %j with a ConfigurationError', (text, message) => {
    const error = refusal(text);
    expect(error.type).toBe('ConfigurationError');
    expect(error.message).toContain(message);
  });
});

describe('statusMatcher', () => {
  it('matches exact statuses and classes', () => {
    const matches = statusMatcher('200, 3xx');
    expect([200, 201, 302, 399, 404].map(matches)).toEqual([true, false, true, true, false]);
  });
  it('refuses what is not a status', () => {
    expect(() => statusMatcher('2x')).toThrow(JobFailure);
  });
});
