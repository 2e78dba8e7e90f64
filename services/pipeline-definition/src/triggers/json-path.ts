/**
 * The JSONPath subset CodePipeline's webhook filters use: `$.ref`, `$.repository.name`,
 * `$.commits[0].author.name`, `$['key']`. Returns the steps, or undefined when the path is not one.
 */
export function parseJsonPath(path: string): (string | number)[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: (string | number)[] = [];
  const step = /\.([A-Za-z_][\w-]*)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;
  let at = 1;
  while (at < path.length) {
    step.lastIndex = at;
    const m = step.exec(path);
    if (!m) return undefined;
    steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])));
    at = step.lastIndex;
  }
  return steps;
}

export function valueAt(document: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  if (!steps) return undefined;
  let node: unknown = document;
  for (const key of steps) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/**
 * A webhook filter rule: the value at `jsonPath` equals `matchEquals`, where `{Name}` is replaced by
 * the target action's configuration value (CodePipeline's `refs/heads/{Branch}`).
 */
export function ruleMatches(document: unknown, rule: { jsonPath: string; matchEquals: string }, configuration: Record<string, string>): boolean {
  const value = valueAt(document, rule.jsonPath);
  if (value === undefined) return false;
  const expected = rule.matchEquals.replace(/\{(\w+)\}/g, (whole, key: string) => configuration[key] ?? whole);
  return (typeof value === 'string' ? value : JSON.stringify(value)) === expected;
}
