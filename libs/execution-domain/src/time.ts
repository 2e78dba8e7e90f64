/** Time arithmetic on ISO-8601 instants; the current time always arrives inside a command. */
export function addSeconds(instant: string, seconds: number): string {
  return new Date(Date.parse(instant) + Math.round(seconds * 1000)).toISOString();
}

export function isAtOrAfter(instant: string, deadline: string): boolean {
  return Date.parse(instant) >= Date.parse(deadline);
}
