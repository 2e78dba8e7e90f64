import { asArray, Decider, fold } from './decider';

/**
 * given(events).when(command).then(events) / .thenThrows(ErrorClass) for decider tests.
 * Framework-free: it throws plain Errors, so any test runner reports them.
 */
export function specification<C, E, S>(decider: Decider<C, E, S>) {
  return {
    given(events: readonly E[]) {
      return {
        when(command: C) {
          const run = () => asArray(decider.decide(command, fold(decider, events)));
          return {
            then(expected: readonly E[]) {
              const actual = run();
              const a = JSON.stringify(actual, null, 2);
              const b = JSON.stringify(expected, null, 2);
              if (a !== b) throw new Error(`decided events differ\nexpected: ${b}\nactual:   ${a}`);
              return actual;
            },
            thenThrows<T extends Error>(errorType: abstract new (...args: never[]) => T, check?: (error: T) => void) {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              if (!(thrown instanceof errorType)) {
                throw new Error(`expected ${errorType.name} to be thrown, got ${thrown === undefined ? 'no error' : String(thrown)}`);
              }
              check?.(thrown);
            },
          };
        },
      };
    },
  };
}
