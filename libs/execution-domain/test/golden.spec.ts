import { fold } from '@pipewright/decider';
import { executionDecider, pipelineExecutionView, type ExecutionEvent } from '../src';

/**
 * Histories recorded by earlier versions (test/golden/*.json, see golden/record.ts) must fold to
 * the state committed beside them: a change that would read an old execution differently fails here.
 */
const GOLDEN = ['approved-with-variables', 'failed-actions-retried', 'retried-then-abandoned'];

function replay(name: string): { actual: unknown; expected: unknown; events: ExecutionEvent[] } {
  const file = require(`./golden/${name}.json`) as { events: ExecutionEvent[]; state: unknown };
  const folded = fold(executionDecider, file.events);
  return { actual: JSON.parse(JSON.stringify(folded)), expected: file.state, events: file.events };
}

describe('golden histories', () => {
  it.each(GOLDEN)('%s folds to its committed state', (name) => {
    const { actual, expected } = replay(name);
    expect(actual).toEqual(expected);
  });

  it('ends each recorded history in the status it was recorded for', () => {
    const statuses = GOLDEN.map((name) => pipelineExecutionView(fold(executionDecider, replay(name).events))?.pipelineExecution.status);
    expect(statuses).toEqual(['Succeeded', 'Succeeded', 'Stopped']);
  });
});
