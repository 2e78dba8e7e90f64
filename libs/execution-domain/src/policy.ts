import type { ActionDeclaration, ActionRetryPolicy } from '@pipewright/pipeline-model';

/** Defaults where a declaration says nothing, after CodePipeline's (approvals wait 7 days). */
export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 7 * 24 * 60;
const DEFAULT_CUSTOM_ACTION_TIMEOUT_MINUTES = 24 * 60;
const DEFAULT_BUILD_TIMEOUT_MINUTES = 8 * 60;
const DEFAULT_ACTION_TIMEOUT_MINUTES = 60;

/**
 * A worker that has sent one heartbeat must keep sending them: silence this long fails the
 * attempt (and its retryPolicy, if any, dispatches a new one). Workers that never heartbeat
 * (CodePipeline-style custom job workers) are bounded by the action timeout alone.
 */
export const JOB_HEARTBEAT_TIMEOUT_SECONDS = 300;

export function heartbeatTimeoutSeconds(execution: { heartbeatTimeoutSeconds?: number }): number {
  return execution.heartbeatTimeoutSeconds ?? JOB_HEARTBEAT_TIMEOUT_SECONDS;
}

export function isManualApproval(action: ActionDeclaration): boolean {
  return action.actionTypeId.category === 'Approval' && action.actionTypeId.provider === 'Manual';
}

export function actionTimeoutMinutes(action: ActionDeclaration): number {
  if (action.timeoutInMinutes !== undefined) return action.timeoutInMinutes;
  if (isManualApproval(action)) return DEFAULT_APPROVAL_TIMEOUT_MINUTES;
  if (action.actionTypeId.owner === 'Custom') return DEFAULT_CUSTOM_ACTION_TIMEOUT_MINUTES;
  if (action.actionTypeId.category === 'Build' || action.actionTypeId.category === 'Test') return DEFAULT_BUILD_TIMEOUT_MINUTES;
  return DEFAULT_ACTION_TIMEOUT_MINUTES;
}

/** Backoff before automatic retry number `runAttempt` (the attempt that just failed): seconds × multiplier^(runAttempt−1). */
export function retryBackoffSeconds(policy: ActionRetryPolicy, failedRunAttempt: number): number {
  return policy.backoffSeconds * Math.pow(policy.backoffMultiplier ?? 1, failedRunAttempt - 1);
}
