import { Draft as DraftOf } from '../draft';
import { evolveExecution } from './evolve';
import type { ExecutionEvent } from './events';
import type { StartedExecution } from './state';

export class Draft extends DraftOf<ExecutionEvent, StartedExecution> {
  constructor(state: StartedExecution) {
    super(state, (s, e) => evolveExecution(s, e) as StartedExecution);
  }
}
