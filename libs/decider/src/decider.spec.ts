import { Decider, DomainError, fold, InvalidRequest, pageSize, specification } from './index';

type CounterEvent = { type: 'Incremented'; data: { by: number } };
type CounterCommand = { type: 'Increment'; data: { by: number } };
type CounterState = { value: number };
class NotPositive extends DomainError {
  readonly code = 'INVALID_ARGUMENT' as const;
}
const counter: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: () => ({ value: 0 }),
  evolve: (state, event) => ({ value: state.value + event.data.by }),
  decide: (command) => {
    if (command.data.by <= 0) throw new NotPositive('by must be positive');
    return { type: 'Incremented', data: { by: command.data.by } };
  },
};
const spec = specification(counter);

describe('decider helpers', () => {
  it('folds events from the initial state', () => {
    expect(fold(counter, [{ type: 'Incremented', data: { by: 2 } }, { type: 'Incremented', data: { by: 3 } }])).toEqual({ value: 5 });
  });
  it('then() compares decided events', () => {
    spec.given([]).when({ type: 'Increment', data: { by: 1 } }).then([{ type: 'Incremented', data: { by: 1 } }]);
    expect(() => spec.given([]).when({ type: 'Increment', data: { by: 1 } }).then([])).toThrow(/differ/);
  });
  it('thenThrows() checks the named error', () => {
    spec.given([]).when({ type: 'Increment', data: { by: 0 } }).thenThrows(NotPositive, (e) => expect(e.name).toBe('NotPositive'));
    expect(() => spec.given([]).when({ type: 'Increment', data: { by: 1 } }).thenThrows(NotPositive)).toThrow(/no error/);
  });
  it('pageSize: 100 when unset, the value within 1..max, else INVALID_ARGUMENT at max_results', () => {
    expect([pageSize(undefined), pageSize(null), pageSize(0), pageSize(1), pageSize(1000), pageSize(100, 100)]).toEqual([100, 100, 100, 1, 1000, 100]);
    for (const [value, max] of [[1001, 1000], [101, 100], [-1, 1000]]) {
      let thrown: unknown;
      try {
        pageSize(value, max);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidRequest);
      expect((thrown as InvalidRequest).problems).toEqual([{ path: 'max_results', message: `max_results must be between 1 and ${max}` }]);
    }
  });
});
