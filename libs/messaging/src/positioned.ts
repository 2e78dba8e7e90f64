import type { Consumer } from 'kafkajs';

/**
 * Resolves once a running consumer has joined its group and completed a first fetch — by then the
 * group's start offsets are resolved, so a group starting at the topic's end (`latest`) sees every
 * message published after this resolves. Resolves `false` after `timeoutMs` instead of failing: a
 * join can legitimately wait out a dead member's session, and the consumer keeps joining meanwhile.
 * Call it before consumer.run().
 */
export function positioned(consumer: Consumer, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const removers: (() => void)[] = [];
    const done = (value: boolean) => {
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve(value);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    let joined = false;
    removers.push(consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true)));
    removers.push(consumer.on(consumer.events.FETCH, () => joined && done(true)));
    removers.push(consumer.on(consumer.events.STOP, () => done(false)));
  });
}
