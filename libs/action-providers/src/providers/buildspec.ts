import { parse } from 'yaml';
import { configurationError } from '../job';

/** The subset of CodeBuild's buildspec Pipewright runs (version 0.2 semantics). */
export const PHASES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface BuildPhase {
  readonly commands: readonly string[];
  readonly finally: readonly string[];
  /** Unset: CodeBuild's transitions (a failed build still runs post_build; other failures end the run). */
  readonly onFailure?: 'ABORT' | 'CONTINUE';
}

export interface ArtifactSpec {
  readonly files: readonly string[];
  readonly baseDirectory?: string;
  readonly discardPaths: boolean;
}

export interface BuildSpec {
  readonly variables: Readonly<Record<string, string>>;
  readonly exportedVariables: readonly string[];
  readonly phases: Partial<Record<PhaseName, BuildPhase>>;
  /** The primary artifact, and secondary ones by output artifact name. */
  readonly artifacts?: ArtifactSpec;
  readonly secondaryArtifacts: Readonly<Record<string, ArtifactSpec>>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IGNORED_TOP_LEVEL = new Set(['reports', 'cache', 'run-as', 'proxy', 'batch']);

type Doc = Record<string, unknown>;

export function parseBuildSpec(text: string, source: string): BuildSpec {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw configurationError(`${source} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const at = (where: string) => `${source}: ${where}`;
  const root = object(doc, at('the document'));
  for (const key of Object.keys(root)) {
    if (!['version', 'env', 'phases', 'artifacts'].includes(key) && !IGNORED_TOP_LEVEL.has(key)) throw configurationError(at(`unknown section ${key}`));
  }
  if (root.version !== undefined && !['0.1', '0.2'].includes(String(root.version))) throw configurationError(at(`unsupported version ${String(root.version)}`));

  const env = root.env === undefined ? {} : object(root.env, at('env'));
  for (const key of Object.keys(env)) {
    if (!['variables', 'exported-variables', 'shell'].includes(key)) throw configurationError(at(`env.${key} is not supported`));
  }
  if (env.shell !== undefined && env.shell !== 'bash') throw configurationError(at('env.shell must be bash'));
  const variables = Object.fromEntries(
    Object.entries(env.variables === undefined ? {} : object(env.variables, at('env.variables'))).map(([name, value]) => [identifier(name, at('env.variables')), scalar(value, at(`env.variables.${name}`))]),
  );
  const exportedVariables = strings(env['exported-variables'] ?? [], at('env.exported-variables')).map((name) => identifier(name, at('env.exported-variables')));

  const phases: Partial<Record<PhaseName, BuildPhase>> = {};
  for (const [name, value] of Object.entries(root.phases === undefined ? {} : object(root.phases, at('phases')))) {
    if (!(PHASES as readonly string[]).includes(name)) throw configurationError(at(`unknown phase ${name} (phases are ${PHASES.join(', ')})`));
    phases[name as PhaseName] = phase(value, at(`phases.${name}`));
  }
  if (!Object.keys(phases).length) throw configurationError(at('no phases to run'));

  const artifactsDoc = root.artifacts === undefined ? undefined : object(root.artifacts, at('artifacts'));
  const secondaryArtifacts = Object.fromEntries(
    Object.entries(artifactsDoc?.['secondary-artifacts'] === undefined ? {} : object(artifactsDoc['secondary-artifacts'], at('artifacts.secondary-artifacts'))).map(([name, value]) => [
      name,
      artifactSpec(object(value, at(`artifacts.secondary-artifacts.${name}`)), at(`artifacts.secondary-artifacts.${name}`)),
    ]),
  );
  const artifacts = artifactsDoc?.files === undefined ? undefined : artifactSpec(artifactsDoc, at('artifacts'));
  return { variables, exportedVariables, phases, artifacts, secondaryArtifacts };
}

function phase(value: unknown, where: string): BuildPhase {
  const doc = object(value, where);
  for (const key of Object.keys(doc)) {
    if (!['commands', 'finally', 'on-failure', 'run-as', 'runtime-versions'].includes(key)) throw configurationError(`${where}.${key} is not supported`);
  }
  const onFailure = doc['on-failure'];
  if (onFailure !== undefined && onFailure !== 'ABORT' && onFailure !== 'CONTINUE') throw configurationError(`${where}.on-failure must be ABORT or CONTINUE`);
  return { commands: strings(doc.commands ?? [], `${where}.commands`), finally: strings(doc.finally ?? [], `${where}.finally`), onFailure };
}

function artifactSpec(doc: Doc, where: string): ArtifactSpec {
  const discard = doc['discard-paths'];
  return {
    files: strings(doc.files, `${where}.files`),
    baseDirectory: doc['base-directory'] === undefined ? undefined : scalar(doc['base-directory'], `${where}.base-directory`),
    discardPaths: discard === true || discard === 'yes',
  };
}

function object(value: unknown, where: string): Doc {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw configurationError(`${where} must be a mapping`);
  return value as Doc;
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw configurationError(`${where} must be a string`);
}

function strings(value: unknown, where: string): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw configurationError(`${where} must be a list of strings`);
  return value.map((item, index) => scalar(item, `${where}[${index}]`));
}

function identifier(name: string, where: string): string {
  if (!IDENTIFIER.test(name)) throw configurationError(`${where}: ${JSON.stringify(name)} is not a variable name`);
  return name;
}
