import type { ActionProvider } from '../job';
import { DirectoryDeployProvider } from './directory-deploy';
import { GitSourceProvider } from './git-source';
import { HttpInvokeProvider } from './http-invoke';
import { NoOpProvider } from './noop';
import { ShellBuildProvider } from './shell-build';

export { DirectoryDeployProvider, GitSourceProvider, HttpInvokeProvider, NoOpProvider, ShellBuildProvider };
export { parseBuildSpec, PHASES, type BuildSpec, type PhaseName } from './buildspec';
export { statusMatcher } from './http-invoke';

/** Every provider the job-worker runs itself. */
export function builtInProviders(): ActionProvider[] {
  return [new GitSourceProvider(), new ShellBuildProvider(), new DirectoryDeployProvider(), new HttpInvokeProvider(), new NoOpProvider()];
}
