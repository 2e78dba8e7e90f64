import { canonical, type DataOf } from './canonical';

/**
 * Accumulates the events of one decision and keeps the state folded as it goes, so a rule that
 * follows another (a group settles, then the stage, then the execution) sees what came before.
 */
export class Draft<E extends { type: string; data: unknown }, S> {
  readonly events: E[] = [];

  constructor(
    private current: S,
    private readonly evolve: (state: S, event: E) => S,
  ) {}

  get state(): S {
    return this.current;
  }

  emit<T extends E['type']>(type: T, data: DataOf<E, T>): void {
    const event = { type, data: canonical(data) } as unknown as E;
    this.events.push(event);
    this.current = this.evolve(this.current, event);
  }
}
