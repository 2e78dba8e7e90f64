import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { configurationError, JobFailure, optionalConfig, outputDir, requiredConfig, succeeded, type ActionProvider, type ActionTypeId, type JobContext, type JobOutcome } from '../job';
import { LineLog } from '../process/line-log';
import { runProcess } from '../process/run-process';
import { abortFailure } from '../process/shell';

const COMMIT_ID = /^[0-9a-f]{7,64}$/i;
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._\/-]+$/;

/**
 * Source/Pipewright/Git: checks out one exact revision of a repository (URL or local path) with
 * the git CLI; the tree without .git is the output artifact. Output variables are those of
 * CodePipeline's source actions.
 */
export class GitSourceProvider implements ActionProvider {
  supports(type: ActionTypeId): boolean {
    return type.category === 'Source' && type.owner === 'Pipewright' && type.provider === 'Git';
  }

  async run(job: JobContext): Promise<JobOutcome> {
    const repository = await repositoryLocation(requiredConfig(job, 'RepositoryUrl'));
    const configuredBranch = optionalConfig(job, 'Branch');
    if (configuredBranch !== undefined && !BRANCH.test(configuredBranch)) throw configurationError(`Branch ${JSON.stringify(configuredBranch)} is not a valid branch name`);
    const revision = job.requestedRevision ?? optionalConfig(job, 'CommitId');
    if (revision !== undefined && !COMMIT_ID.test(revision)) throw new JobFailure('RevisionUnavailable', `revision ${JSON.stringify(revision)} is not a commit id`);
    const [output] = job.outputArtifacts;
    if (!output) throw configurationError('the Git source needs one output artifact');

    const git = new Git(job, path.join(job.workspaceDir, 'git'));
    await git.run(['init', '--quiet', '--bare', git.dir], job.workspaceDir);
    const branch = configuredBranch ?? (await git.defaultBranch(repository));
    await git.run(['fetch', '--quiet', '--no-tags', '--', repository, `+refs/heads/${branch}:refs/remotes/origin/${branch}`], git.dir, (stderr) =>
      /couldn't find remote ref/i.test(stderr) ? new JobFailure('RevisionUnavailable', `branch ${branch} does not exist in ${repository}`) : unreadable(repository, stderr),
    );
    let commit = await git.resolve(revision ?? `refs/remotes/origin/${branch}`);
    if (!commit && revision) {
      // A commit not on the branch: ask for it by id (servers that allow it answer).
      await git.run(['fetch', '--quiet', '--no-tags', '--', repository, revision], git.dir, () => new JobFailure('RevisionUnavailable', `revision ${revision} is not available in ${repository}`));
      commit = await git.resolve(revision);
    }
    if (!commit) throw new JobFailure('RevisionUnavailable', `revision ${revision} is not available in ${repository}`);

    const tree = outputDir(job, output.name);
    await fs.mkdir(tree, { recursive: true });
    await git.run(['--work-tree', tree, 'checkout', '--quiet', '--force', commit, '--', '.'], git.dir);
    const [commitId, author, committerDate, message] = (await git.capture(['log', '-1', '--format=%H%x00%an%x00%cI%x00%B', commit])).split('\0');
    const subject = message.split('\n')[0];
    return succeeded({
      outputDirs: { [output.name]: tree },
      outputVariables: {
        CommitId: commitId,
        BranchName: branch,
        CommitMessage: message.trimEnd(),
        AuthorDisplayName: author,
        CommitterDate: committerDate,
        RepositoryName: repositoryName(repository),
      },
      summary: subject,
    });
  }
}

/** URLs git may fetch from (no `ext::` or other remote helpers), or an existing local path. */
async function repositoryLocation(value: string): Promise<string> {
  if (/^(https?|ssh|git|file):\/\//i.test(value)) {
    try {
      new URL(value);
      return value;
    } catch {
      throw configurationError(`RepositoryUrl ${JSON.stringify(value)} is not a valid URL`);
    }
  }
  if (/^[\w.-]+@[\w.-]+:[^:]/.test(value)) return value; // scp-like ssh
  if (path.isAbsolute(value)) {
    const stat = await fs.stat(value).catch(() => undefined);
    if (!stat?.isDirectory()) throw configurationError(`RepositoryUrl ${value} is not an existing directory`);
    return value;
  }
  throw configurationError(`RepositoryUrl ${JSON.stringify(value)} is neither a git URL (https, ssh, git, file) nor an absolute path`);
}

function repositoryName(repository: string): string {
  return path.basename(repository.replace(/\/+$/, '')).replace(/\.git$/, '');
}

function unreadable(repository: string, stderr: string): JobFailure {
  const transient = /could not resolve host|connection (refused|timed out|reset)|timed out|temporarily unavailable/i.test(stderr);
  return new JobFailure(transient ? 'SystemUnavailable' : 'ConfigurationError', `cannot read repository ${repository}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
}

/** The git CLI, spawned without a shell, never prompting, refusing remote-helper transports. */
class Git {
  private readonly log: LineLog;
  private stderrTail = '';

  constructor(private readonly job: JobContext, readonly dir: string) {
    this.log = new LineLog((chunk) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-4000);
      job.log(chunk);
    });
  }

  private env(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.job.workspaceDir, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_PROTOCOL_FROM_USER: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh', LANG: 'C' };
  }

  async run(args: string[], cwd: string, onError: (stderr: string) => JobFailure = (stderr) => new JobFailure('JobFailed', `git ${args[0]} failed: ${stderr.trim()}`)): Promise<string> {
    this.stderrTail = '';
    const result = await runProcess({ file: 'git', args: ['-c', 'advice.detachedHead=false', ...args], cwd, env: this.env(), signal: this.job.signal, log: this.log, captureStdout: true });
    if (result.aborted) throw abortFailure(this.job);
    if (result.exitCode !== 0) throw onError(this.stderrTail);
    return result.stdout;
  }

  capture(args: string[]): Promise<string> {
    return this.run(args, this.dir);
  }

  async resolve(revision: string): Promise<string | undefined> {
    return this.run(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`], this.dir, () => new JobFailure('RevisionUnavailable', '')).then(
      (out) => out.trim(),
      () => undefined,
    );
  }

  async defaultBranch(repository: string): Promise<string> {
    const out = await this.run(['ls-remote', '--symref', '--', repository, 'HEAD'], this.dir, (stderr) => unreadable(repository, stderr));
    const match = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(out);
    if (!match) throw configurationError(`repository ${repository} has no default branch; set Branch`);
    return match[1];
  }
}
