import { Doorbell } from './doorbell';

describe('Doorbell', () => {
  const running = () => new AbortController().signal;
  it('a wait with no ring lasts its time and answers nothing', async () => {
    expect(await new Doorbell().wait(20, running())).toBe(false);
  });

  it('a ring ends a wait early', async () => {
    const bell = new Doorbell();
    const waiting = bell.wait(60_000, running());
    bell.ring();
    expect(await waiting).toBe(true);
  });

  it('a ring while nobody waits is answered by the next wait, once', async () => {
    const bell = new Doorbell();
    bell.ring();
    expect(await bell.wait(60_000, running())).toBe(true);
    expect(await bell.wait(10, running())).toBe(false);
  });

  it('clear() forgets the rings so far', async () => {
    const bell = new Doorbell();
    bell.ring();
    bell.clear();
    expect(await bell.wait(10, running())).toBe(false);
  });

  it('a wait that does not answer lasts its time and leaves the ring for the next wait', async () => {
    const bell = new Doorbell();
    const waiting = bell.wait(30, running(), false);
    bell.ring();
    expect(await waiting).toBe(false);
    expect(await bell.wait(60_000, running())).toBe(true);
  });

  it('stop ends a wait at once', async () => {
    const stop = new AbortController();
    const waiting = new Doorbell().wait(60_000, stop.signal);
    stop.abort();
    expect(await waiting).toBe(false);
    expect(await new Doorbell().wait(60_000, stop.signal)).toBe(false);
  });
});
