import { GroupCommit } from './group-commit';

/** A commit function that records each call and finishes only when told. */
function recordingCommit(fail?: (items: readonly string[]) => boolean) {
  const calls: { items: readonly string[]; finish: () => void }[] = [];
  const commit = (items: readonly string[]) =>
    new Promise<void>((resolve, reject) => calls.push({ items, finish: () => (fail?.(items) ? reject(new Error(`failed ${items.join(',')}`)) : resolve()) }));
  return { calls, commit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('starts a run at once while fewer than its limit are in flight', async () => {
    const { calls, commit } = recordingCommit();
    const group = new GroupCommit(commit, 2);
    const a = group.submit(['a1']);
    const b = group.submit(['b1']);
    await tick();
    expect(calls.map((c) => c.items)).toEqual([['a1'], ['b1']]);
    calls.forEach((c) => c.finish());
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('merges the runs that arrive while the limit is in flight into the next commit, in arrival order', async () => {
    const { calls, commit } = recordingCommit();
    const group = new GroupCommit(commit, 1);
    const first = group.submit(['a1']);
    const waiting = [group.submit(['b1', 'b2']), group.submit(['c1'])];
    await tick();
    expect(calls.map((c) => c.items)).toEqual([['a1']]);
    calls[0].finish();
    await first;
    await tick();
    expect(calls.map((c) => c.items)).toEqual([['a1'], ['b1', 'b2', 'c1']]);
    calls[1].finish();
    await expect(Promise.all(waiting)).resolves.toEqual([undefined, undefined]);
  });

  it('retries a failed merged commit one run at a time: only the bad run fails', async () => {
    const { calls, commit } = recordingCommit((items) => items.includes('bad'));
    const group = new GroupCommit(commit, 1);
    const first = group.submit(['a1']);
    const good = group.submit(['g1']);
    const bad = group.submit(['bad']);
    await tick();
    calls[0].finish();
    await first;
    await tick();
    calls[1].finish(); // the merged ['g1', 'bad'] fails
    await tick();
    expect(calls[2].items).toEqual(['g1']);
    calls[2].finish();
    await tick();
    expect(calls[3].items).toEqual(['bad']);
    calls[3].finish();
    await expect(good).resolves.toBeUndefined();
    await expect(bad).rejects.toThrow('failed bad');
  });

  it('caps a merged commit at 500 works and leaves the rest for the next', async () => {
    const { calls, commit } = recordingCommit();
    const group = new GroupCommit(commit, 1);
    const first = group.submit(['x']);
    const runs = Array.from({ length: 3 }, (_, i) => group.submit(Array.from({ length: 200 }, (_, j) => `r${i}-${j}`)));
    await tick();
    calls[0].finish();
    await first;
    await tick();
    expect(calls[1].items).toHaveLength(400);
    calls[1].finish();
    await tick();
    await tick();
    expect(calls[2].items).toHaveLength(200);
    calls[2].finish();
    await Promise.all(runs);
  });
});
