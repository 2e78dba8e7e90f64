/** The structure rules: stage and action counts, names, uniqueness, where Source actions go, runOrder, timeouts. */
import { PipelineDeclaration } from '../declaration';
import { ACTION_NAME, checkName, describeNameConstraint, NameConstraint, PIPELINE_NAME, STAGE_NAME } from '../names';
import { at, FindingsCollector, ProblemRule } from '../problems';
import { firstIndex, placedActions, stagePath } from './layout';
import { MAX_RUN_ORDER, MIN_RUN_ORDER, MIN_STAGES, ValidationOptions } from './options';

export function checkNameRule(findings: FindingsCollector, path: string, name: string, constraint: NameConstraint, rule: ProblemRule): void {
  const verdict = checkName(name, constraint);
  if (verdict === 'invalid') findings.problem(path, rule, `${JSON.stringify(name)}: ${describeNameConstraint(constraint)}`);
  if (verdict === 'placeholder') findings.warning(path, 'placeholder', `${JSON.stringify(name)} holds a placeholder; ${describeNameConstraint(constraint)}`);
}

export function checkStructure(declaration: PipelineDeclaration, options: ValidationOptions, findings: FindingsCollector): void {
  checkNameRule(findings, 'pipeline.name', declaration.name, PIPELINE_NAME, 'pipeline.name');
  const stageCount = declaration.stages.length;
  if (stageCount < MIN_STAGES || stageCount > options.maxStages) {
    findings.problem('pipeline.stages', 'pipeline.stages.count', `a pipeline has ${MIN_STAGES}..${options.maxStages} stages, not ${stageCount}`);
  }
  declaration.stages.forEach((stage, stageIndex) => {
    const path = stagePath(stageIndex);
    checkNameRule(findings, `${path}.name`, stage.name, STAGE_NAME, 'stage.name');
    if (stage.actions.length < 1 || stage.actions.length > options.maxActionsPerStage) {
      findings.problem(`${path}.actions`, 'stage.actions.count', `a stage has 1..${options.maxActionsPerStage} actions, not ${stage.actions.length}`);
    }
    stage.actions.forEach((action, actionIndex) => {
      if (firstIndex(stage.actions, action.name) < actionIndex) {
        findings.problem(`${at(`${path}.actions`, actionIndex)}.name`, 'action.name.duplicate', `action name ${action.name} is used twice in stage ${stage.name}`);
      }
    });
  });
  declaration.stages.forEach((stage, stageIndex) => {
    if (firstIndex(declaration.stages, stage.name) < stageIndex) {
      findings.problem(`${stagePath(stageIndex)}.name`, 'stage.name.duplicate', `stage name ${stage.name} is used twice`);
    }
  });
  for (const placed of placedActions(declaration)) {
    const { action, path, stageIndex } = placed;
    checkNameRule(findings, `${path}.name`, action.name, ACTION_NAME, 'action.name');
    const isSource = action.actionTypeId.category === 'Source';
    if (isSource && stageIndex > 0) {
      findings.problem(`${path}.actionTypeId.category`, 'action.source.not-in-first-stage', `Source action ${action.name} must be in the first stage`);
    }
    if (!isSource && stageIndex === 0) {
      findings.problem(`${path}.actionTypeId.category`, 'stage.first.non-source-action', `the first stage holds only Source actions; ${action.name} is ${action.actionTypeId.category}`);
    }
    if (action.runOrder !== undefined && (action.runOrder < MIN_RUN_ORDER || action.runOrder > MAX_RUN_ORDER)) {
      findings.problem(`${path}.runOrder`, 'action.run-order', `runOrder is ${MIN_RUN_ORDER}..${MAX_RUN_ORDER}, not ${action.runOrder}`);
    }
    const timeout = action.timeoutInMinutes;
    if (timeout !== undefined && (timeout < options.timeoutInMinutes.min || timeout > options.timeoutInMinutes.max)) {
      findings.problem(`${path}.timeoutInMinutes`, 'action.timeout', `timeoutInMinutes is ${options.timeoutInMinutes.min}..${options.timeoutInMinutes.max}, not ${timeout}`);
    }
    checkRetryPolicy(placed.path, action.retryPolicy, options, findings);
  }
}

function checkRetryPolicy(path: string, policy: PipelineDeclaration['stages'][number]['actions'][number]['retryPolicy'], options: ValidationOptions, findings: FindingsCollector): void {
  if (!policy) return;
  const bounds = options.retryPolicy;
  const { maxAttempts, backoffSeconds, backoffMultiplier } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > bounds.maxAttempts) {
    findings.problem(`${path}.retryPolicy.maxAttempts`, 'action.retry-policy', `maxAttempts is 1..${bounds.maxAttempts}, not ${maxAttempts}`);
  }
  if (!(backoffSeconds >= 0 && backoffSeconds <= bounds.maxBackoffSeconds)) {
    findings.problem(`${path}.retryPolicy.backoffSeconds`, 'action.retry-policy', `backoffSeconds is 0..${bounds.maxBackoffSeconds}, not ${backoffSeconds}`);
  }
  if (backoffMultiplier !== undefined && !(backoffMultiplier >= 1 && backoffMultiplier <= bounds.maxBackoffMultiplier)) {
    findings.problem(`${path}.retryPolicy.backoffMultiplier`, 'action.retry-policy', `backoffMultiplier is 1..${bounds.maxBackoffMultiplier}, not ${backoffMultiplier}`);
  }
}
