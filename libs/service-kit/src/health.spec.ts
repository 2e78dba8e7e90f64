import { firstValueFrom, take, toArray } from 'rxjs';
import { HealthRegistry } from './health';

describe('HealthRegistry', () => {
  it("reports '' SERVING only while the process and every dependency are SERVING", async () => {
    // given a started process with two dependencies
    const health = new HealthRegistry();
    health.set('postgres', 'SERVING');
    health.set('kafka', 'SERVING');
    health.set('', 'SERVING');
    expect(health.get('')).toBe('SERVING');
    const changes = firstValueFrom(health.watch('').pipe(take(3), toArray()));

    // when one dependency goes away and comes back
    health.set('kafka', 'NOT_SERVING');
    expect(health.get('')).toBe('NOT_SERVING');
    expect(health.all()).toEqual({ '': 'NOT_SERVING', postgres: 'SERVING', kafka: 'NOT_SERVING' });
    health.set('kafka', 'SERVING');

    // then '' followed it, and the process's own NOT_SERVING (shutdown) wins over healthy dependencies
    expect(await changes).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    health.set('', 'NOT_SERVING');
    expect(health.get('')).toBe('NOT_SERVING');
  });

  it('is NOT_SERVING before the process says it serves, even with healthy dependencies', () => {
    const health = new HealthRegistry();
    health.set('postgres', 'SERVING');
    expect(health.get('')).toBe('NOT_SERVING');
  });
});
