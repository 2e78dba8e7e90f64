import type { RecordedEvent } from '@pipewright/event-store';
import { StreamVersionConflict } from '@pipewright/event-store';
import { checkUnread, FoldCache, lanesStream, loadLanes } from './streams';

/** An in-memory stream read the way the store reads one (fromVersion inclusive), recording each read. */
function reader(events: { type: string; data: unknown }[]) {
  const reads: (number | undefined)[] = [];
  return {
    reads,
    readStream: async (streamId: string, options?: { fromVersion?: number }): Promise<RecordedEvent[]> => {
      reads.push(options?.fromVersion);
      return events
        .map((e, i) => ({ ...e, streamId, streamVersion: i + 1, position: i + 1, eventId: `e${i}`, metadata: {}, recordedAt: new Date(0), transactionId: '1' }))
        .filter((e) => e.streamVersion >= (options?.fromVersion ?? 1));
    },
  };
}

const disabled = (stageName: string) => ({ type: 'TransitionDisabled', data: { stageName, reason: 'hold', at: '2025-01-01T00:00:00.000Z' } });
const enabled = (stageName: string) => ({ type: 'TransitionEnabled', data: { stageName, at: '2025-01-01T00:00:01.000Z' } });

describe('FoldCache', () => {
  it('a load after a committed fold reads only the events appended since and folds them on top', async () => {
    const log: { type: string; data: unknown }[] = [disabled('Build')];
    const store = reader(log);
    const cache = new FoldCache();
    const first = await loadLanes(store, 'app', cache);
    expect(first.version).toBe(1);
    cache.set(lanesStream('app'), { state: first.state, version: first.version });

    log.push(enabled('Build'), disabled('Deploy'));
    const second = await loadLanes(store, 'app', cache);
    expect(store.reads).toEqual([undefined, 2]);
    expect(second.version).toBe(3);
    expect(second.state).toEqual((await loadLanes(reader(log), 'app')).state);
  });

  it('never goes back to an older version, and forgets the least recently used stream first', () => {
    const cache = new FoldCache(2);
    cache.set('a', { state: 'a2', version: 2 });
    cache.set('a', { state: 'a1', version: 1 });
    expect(cache.get('a')).toEqual({ state: 'a2', version: 2 });
    cache.set('b', { state: 'b1', version: 1 });
    cache.get('a');
    cache.set('c', { state: 'c1', version: 1 });
    expect([cache.get('a')?.state, cache.get('b'), cache.get('c')?.state]).toEqual(['a2', undefined, 'c1']);
  });

  it('a trusting load (the engine) takes the cached fold without a read; the commit check finds the stream moved on, and a forgotten fold is read again', async () => {
    const log: { type: string; data: unknown }[] = [disabled('Build')];
    const store = reader(log);
    const cache = new FoldCache();
    const first = await loadLanes(store, 'app', cache, 'trust');
    cache.set(lanesStream('app'), { state: first.state, version: first.version });

    const trusted = await loadLanes(store, 'app', cache, 'trust');
    expect([trusted.read, trusted.version, store.reads]).toEqual([false, 1, [undefined]]);
    await expect(checkUnread(store, lanesStream('app'), trusted)).resolves.toBeUndefined();

    log.push(enabled('Build')); // another writer
    await expect(checkUnread(store, lanesStream('app'), trusted)).rejects.toThrow(StreamVersionConflict);
    // A stream the unit appends to is checked by its append instead.
    await expect(checkUnread(store, lanesStream('app'), { ...trusted, pending: [enabled('Deploy')] })).resolves.toBeUndefined();

    cache.delete(lanesStream('app'));
    const fresh = await loadLanes(store, 'app', cache, 'trust');
    expect([fresh.read, fresh.version]).toEqual([true, 2]);
  });
});
