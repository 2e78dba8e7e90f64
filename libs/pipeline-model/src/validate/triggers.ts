/** Trigger rules (V2): each names a Git source action, within CodePipeline's filter limits. */
import { GitTagFilterCriteria, PipelineDeclaration } from '../declaration';
import { at, FindingsCollector } from '../problems';
import { actionTypeKey } from '../registry/action-type';
import { MAX_FILTER_PATTERNS, MAX_GIT_FILTERS, MAX_TRIGGERS } from './options';

/** Source types whose revisions carry branch, tag and file information a trigger can filter on. */
export const TRIGGER_SOURCE_TYPES: readonly string[] = ['Source/AWS/CodeStarSourceConnection/1', 'Source/Pipewright/Git/1'];

export function checkTriggers(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  const triggers = declaration.triggers ?? [];
  if (triggers.length === 0) return;
  if ((declaration.pipelineType ?? 'V1') !== 'V2') findings.problem('pipeline.triggers', 'trigger.v2-only', 'triggers require pipelineType V2');
  if (triggers.length > MAX_TRIGGERS) findings.problem('pipeline.triggers', 'trigger.count', `a pipeline has at most ${MAX_TRIGGERS} triggers, not ${triggers.length}`);
  const sourceActions = (declaration.stages[0]?.actions ?? []).filter((a) => a.actionTypeId.category === 'Source');
  const named = new Set<string>();
  triggers.forEach((trigger, index) => {
    const path = `${at('pipeline.triggers', index)}.gitConfiguration`;
    const { sourceActionName, push, pullRequest } = trigger.gitConfiguration;
    const source = sourceActions.find((a) => a.name === sourceActionName);
    if (!source) {
      findings.problem(`${path}.sourceActionName`, 'trigger.source-action', `${sourceActionName} is not a Source action of the first stage`);
    } else if (!TRIGGER_SOURCE_TYPES.includes(actionTypeKey(source.actionTypeId))) {
      findings.problem(`${path}.sourceActionName`, 'trigger.source-action', `${sourceActionName} is ${actionTypeKey(source.actionTypeId)}; triggers need one of ${TRIGGER_SOURCE_TYPES.join(', ')}`);
    }
    if (named.has(sourceActionName)) findings.problem(`${path}.sourceActionName`, 'trigger.source-action.duplicate', `another trigger already names ${sourceActionName}`);
    named.add(sourceActionName);
    checkFilterCount(findings, `${path}.push`, push);
    checkFilterCount(findings, `${path}.pullRequest`, pullRequest);
    (push ?? []).forEach((filter, i) => {
      const filterPath = at(`${path}.push`, i);
      if (filter.tags && (filter.branches || filter.filePaths)) {
        findings.problem(`${filterPath}.tags`, 'trigger.push.tags-exclusive', 'a push filter on tags cannot also filter branches or file paths');
      }
      checkCriteria(findings, filterPath, { tags: filter.tags, branches: filter.branches, filePaths: filter.filePaths });
    });
    (pullRequest ?? []).forEach((filter, i) => {
      const filterPath = at(`${path}.pullRequest`, i);
      const events = filter.events ?? [];
      if (filter.events && (events.length < 1 || new Set(events).size !== events.length)) {
        findings.problem(`${filterPath}.events`, 'trigger.pull-request.events', 'events lists 1..3 distinct events of OPEN, UPDATED, CLOSED');
      }
      checkCriteria(findings, filterPath, { branches: filter.branches, filePaths: filter.filePaths });
    });
  });
}

function checkFilterCount(findings: FindingsCollector, path: string, filters: readonly unknown[] | undefined): void {
  if (filters && (filters.length < 1 || filters.length > MAX_GIT_FILTERS)) {
    findings.problem(path, 'trigger.filters.count', `1..${MAX_GIT_FILTERS} filters, not ${filters.length}`);
  }
}

function checkCriteria(findings: FindingsCollector, path: string, criteria: Record<string, GitTagFilterCriteria | undefined>): void {
  for (const [key, criterion] of Object.entries(criteria)) {
    for (const side of ['includes', 'excludes'] as const) {
      const patterns = criterion?.[side];
      if (patterns && (patterns.length < 1 || patterns.length > MAX_FILTER_PATTERNS)) {
        findings.problem(`${path}.${key}.${side}`, 'trigger.criteria.count', `1..${MAX_FILTER_PATTERNS} patterns, not ${patterns.length}`);
      }
    }
  }
}
