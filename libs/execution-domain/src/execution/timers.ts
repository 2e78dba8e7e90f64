import { isAtOrAfter } from '../time';
import type { FireTimer } from './commands';
import { dispatchAction } from './dispatch';
import { Draft } from './draft';
import type { ExecutionEvent } from './events';
import { heartbeatExpired } from './jobs';
import { actionDeclaration, advanceStage, failAttempt } from './progress';
import type { StartedExecution } from './state';

/**
 * A timer names what it was for. It may fire late (after a restart), twice, or after what it
 * guarded has moved on: anything that no longer matches the state, or fires before the deadline
 * the state holds, decides nothing.
 */
export function fireTimer(command: FireTimer, s: StartedExecution): ExecutionEvent[] {
  const { payload, now } = command.data;
  if (payload.kind === 'HeartbeatExpiry') return heartbeatExpired(s, payload.jobId, now);
  const action = s.stages[payload.stageName]?.actions[payload.actionName];
  const declaration = actionDeclaration(s, payload.stageName, payload.actionName);
  if (!action || !declaration) return [];
  const d = new Draft(s);
  if (payload.kind === 'ActionTimeout') {
    if (action.attempt !== payload.attempt || action.status !== 'InProgress' || !action.deadline || !isAtOrAfter(now, action.deadline)) return [];
    const message =
      action.kind === 'Approval'
        ? `The approval was not answered by its deadline ${action.deadline}`
        : `The action did not complete within ${declaration.timeoutInMinutes ?? 'its default'} minutes (deadline ${action.deadline})`;
    failAttempt(d, payload.stageName, payload.actionName, { code: 'TimedOut', message }, now, { cancelJob: action.kind === 'Job' });
    return d.events;
  }
  const retry = action.pendingRetry;
  if (!retry || retry.attempt !== payload.attempt || s.status !== 'InProgress' || !isAtOrAfter(now, retry.fireAt)) return [];
  dispatchAction(d, payload.stageName, declaration, action.runAttempt + 1, now);
  advanceStage(d, payload.stageName, now);
  return d.events;
}
