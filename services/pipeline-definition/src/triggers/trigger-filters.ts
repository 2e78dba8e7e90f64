import { ActionDeclaration, GitPushFilter, GitTagFilterCriteria, PipelineDeclaration } from '@pipewright/pipeline-model';
import picomatch from 'picomatch';
import { GitPush } from './git-push';

/**
 * Which pushes start the pipeline through one source action: the push filters of its V2 trigger,
 * or — with no trigger declared — every push to the branch it checks out (its configured Branch,
 * else the repository's default), or none (a trigger with pull-request filters only).
 */
export type PushRule = { kind: 'filters'; filters: GitPushFilter[] } | { kind: 'branch'; branch?: string } | { kind: 'none' };

export interface TriggerSource {
  action: ActionDeclaration;
  rule: PushRule;
}

/** The branch a source action checks out: Pipewright Git's Branch, CodeStarSourceConnection's BranchName. */
export function configuredBranch(action: ActionDeclaration): string | undefined {
  return action.configuration?.Branch ?? action.configuration?.BranchName;
}

export function triggerSources(declaration: PipelineDeclaration): TriggerSource[] {
  const triggers = (declaration.pipelineType ?? 'V1') === 'V2' ? (declaration.triggers ?? []) : [];
  return (declaration.stages[0]?.actions ?? [])
    .filter((action) => action.actionTypeId.category === 'Source')
    .map((action) => {
      const trigger = triggers.find((t) => t.gitConfiguration.sourceActionName === action.name);
      if (!trigger) return { action, rule: { kind: 'branch', branch: configuredBranch(action) } };
      const push = trigger.gitConfiguration.push ?? [];
      return { action, rule: push.length ? { kind: 'filters', filters: push } : { kind: 'none' } };
    });
}

const matcher = (patterns: readonly string[]) => picomatch([...patterns], { dot: true });

/** CodePipeline's criteria: a value passes when it matches an include (or none are given) and no exclude. */
function passes(criteria: GitTagFilterCriteria, value: string): boolean {
  if (criteria.includes?.length && !matcher(criteria.includes)(value)) return false;
  return !(criteria.excludes?.length && matcher(criteria.excludes)(value));
}

export type PushVerdict = boolean | 'needs-files';

/**
 * Whether a push starts the pipeline. Filters are alternatives: a tag filter looks at tag pushes, a
 * branch filter at branch pushes, and a filePaths criterion needs at least one changed file passing
 * it. 'needs-files' means only the changed files (not given) can decide.
 */
export function pushMatches(rule: PushRule, push: Pick<GitPush, 'kind' | 'name' | 'changedFiles' | 'defaultBranch'>): PushVerdict {
  switch (rule.kind) {
    case 'none':
      return false;
    case 'branch': {
      const branch = rule.branch ?? push.defaultBranch;
      return push.kind === 'branch' && branch !== undefined && push.name === branch;
    }
    case 'filters': {
      let undecided = false;
      for (const filter of rule.filters) {
        if (filter.tags) {
          if (push.kind === 'tag' && passes(filter.tags, push.name)) return true;
          continue;
        }
        if (push.kind !== 'branch' || (filter.branches && !passes(filter.branches, push.name))) continue;
        const filePaths = filter.filePaths;
        if (!filePaths) return true;
        if (!push.changedFiles) undecided = true;
        else if (push.changedFiles.some((file) => passes(filePaths, file))) return true;
      }
      return undecided ? 'needs-files' : false;
    }
  }
}
