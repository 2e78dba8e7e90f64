import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { configurationError, optionalConfig, outputDir, primaryInputDir, succeeded, type ActionProvider, type ActionTypeId, type JobContext, type JobOutcome } from '../job';
import { LineLog } from '../process/line-log';
import { exitFailure, jobEnvironment, runBash } from '../process/shell';
import { collectArtifactFiles } from './artifact-files';
import { parseBuildSpec, PHASES, type ArtifactSpec, type BuildSpec } from './buildspec';

const EVERYTHING: ArtifactSpec = { files: ['**/*'], discardPaths: false };

/**
 * Build|Test/Pipewright/Shell and Compute/AWS/Commands: commands from the configuration (or the
 * action's `commands`) or a buildspec in the primary input, run with bash phase by phase.
 */
export class ShellBuildProvider implements ActionProvider {
  supports(type: ActionTypeId): boolean {
    return (type.owner === 'Pipewright' && type.provider === 'Shell' && (type.category === 'Build' || type.category === 'Test')) || (type.category === 'Compute' && type.owner === 'AWS' && type.provider === 'Commands');
  }

  async run(job: JobContext): Promise<JobOutcome> {
    const cwd = primaryInputDir(job);
    const spec = await loadBuildSpec(job, cwd);
    const log = new LineLog(job.log);
    let env = { ...(await jobEnvironment(job)), ...spec.variables };
    let failure: Error | undefined;
    let skipToPostBuild = false;

    for (const name of PHASES) {
      const phase = spec.phases[name];
      if (!phase || (skipToPostBuild && name !== 'post_build')) continue;
      log.line(`[pipewright] phase ${name.toUpperCase()}`);
      const main = await runBash(job, phase.commands, { cwd, env, log, exportNames: spec.exportedVariables });
      env = main.env;
      let phaseFailure = main.result.exitCode === 0 ? undefined : exitFailure(job, `phase ${name.toUpperCase()}`, main.result, log);
      if (phase.finally.length && !job.signal.aborted) {
        const cleanup = await runBash(job, phase.finally, { cwd, env, log, exportNames: spec.exportedVariables });
        env = cleanup.env;
        if (cleanup.result.exitCode !== 0) phaseFailure ??= exitFailure(job, `phase ${name.toUpperCase()} (finally)`, cleanup.result, log);
      }
      if (!phaseFailure) continue;
      failure ??= phaseFailure;
      if (job.signal.aborted) break;
      env = { ...env, CODEBUILD_BUILD_SUCCEEDING: '0' };
      // CodeBuild's transitions: a failed build still runs post_build; other failures end the run.
      if (phase.onFailure === 'CONTINUE') continue;
      if (phase.onFailure === undefined && name === 'build') skipToPostBuild = true;
      else break;
    }
    if (failure) throw failure;

    const outputDirs: Record<string, string> = {};
    for (const [index, output] of job.outputArtifacts.entries()) {
      const artifact = output.files ? { files: output.files, discardPaths: false } : (spec.secondaryArtifacts[output.name] ?? (index === 0 ? spec.artifacts : undefined));
      if (!artifact) throw configurationError(`no artifact files are declared for output artifact ${output.name}`);
      outputDirs[output.name] = outputDir(job, output.name);
      await collectArtifactFiles(cwd, artifact, outputDirs[output.name], output.name);
    }
    const outputVariables = Object.fromEntries(spec.exportedVariables.filter((name) => env[name] !== undefined).map((name) => [name, env[name]]));
    const ran = PHASES.filter((name) => spec.phases[name]).length;
    return succeeded({ outputDirs, outputVariables, summary: `Ran ${ran} phase${ran === 1 ? '' : 's'}` });
  }
}

/** Configuration Commands (or the action's `commands`) make a one-phase spec; else the BuildSpec file or inline YAML. */
async function loadBuildSpec(job: JobContext, cwd: string): Promise<BuildSpec> {
  const commands = job.commands?.length ? job.commands : optionalConfig(job, 'Commands')?.split('\n').filter((line) => line.trim());
  const outputsDeclareFiles = job.outputArtifacts.every((output) => output.files);
  if (commands?.length) {
    return {
      variables: {},
      exportedVariables: [...(job.outputVariableNames ?? [])],
      phases: { build: { commands, finally: [] } },
      artifacts: outputsDeclareFiles ? undefined : EVERYTHING,
      secondaryArtifacts: {},
    };
  }
  const named = optionalConfig(job, 'BuildSpec') ?? 'buildspec.yml';
  if (named.includes('\n')) return parseBuildSpec(named, 'inline BuildSpec');
  const file = path.resolve(cwd, named);
  if (path.relative(cwd, file).startsWith('..')) throw configurationError(`BuildSpec ${named} is outside the primary input artifact`);
  const text = await fs.readFile(file, 'utf8').catch(() => {
    throw configurationError(`BuildSpec ${named} not found in input artifact ${job.inputArtifactNames[0]}`);
  });
  return parseBuildSpec(text, named);
}
