/**
 * Events are built through `canonical` so equal events serialize equally: keys sorted, undefined
 * dropped. Golden histories, given/when/then comparisons and outbox payloads then never depend on
 * the order in which code happened to write an object literal.
 */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => canonical(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) out[key] = canonical(item);
    }
    return out as T;
  }
  return value;
}

export type DataOf<E extends { type: string; data: unknown }, T extends E['type']> = Extract<E, { type: T }>['data'];

/** `{ type, data }` with canonical data; the one way events (and lane/execution commands from react) are made. */
export function eventFactory<E extends { type: string; data: unknown }>() {
  return <T extends E['type']>(type: T, data: DataOf<E, T>): Extract<E, { type: T }> => ({ type, data: canonical(data) }) as Extract<E, { type: T }>;
}
