/**
 * A small description of JSON shapes, and the one walk that checks a value against it. The walk
 * reports every mismatch with its path (never only the first) and returns a copy holding only the
 * described fields, so the declaration that comes out is exactly CodePipeline's model.
 */
import { at, Problem } from '../problems';

export type Shape =
  | { kind: 'string'; values?: readonly string[] }
  | { kind: 'integer' }
  | { kind: 'number' }
  | { kind: 'array'; items: Shape }
  /** Fields by name; any other key is a problem (AWS rejects it). */
  | { kind: 'object'; fields: Record<string, Field> }
  /** Free keys (configuration, artifactStores): every value has the same shape. */
  | { kind: 'map'; values: Shape };

export interface Field {
  shape: Shape;
  required?: boolean;
}

export const string = (values?: readonly string[]): Shape => ({ kind: 'string', values });
export const integer: Shape = { kind: 'integer' };
export const number: Shape = { kind: 'number' };
export const arrayOf = (items: Shape): Shape => ({ kind: 'array', items });
export const mapOf = (values: Shape): Shape => ({ kind: 'map', values });
export const object = (fields: Record<string, Shape | Field>): Shape => ({
  kind: 'object',
  fields: Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, 'kind' in f ? { shape: f } : f])),
});
export const required = (shape: Shape): Field => ({ shape, required: true });

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `value` against `shape`; returns the copy, or undefined where the value did not fit. */
export function checkShape(value: unknown, shape: Shape, path: string, problems: Problem[]): unknown {
  switch (shape.kind) {
    case 'string':
      if (typeof value !== 'string') return mismatch(path, 'a string', value, problems);
      if (shape.values && !shape.values.includes(value)) {
        problems.push({ path, rule: 'shape.enum', message: `${JSON.stringify(value)} is not one of ${shape.values.join(', ')}` });
        return undefined;
      }
      return value;
    case 'integer':
      return Number.isInteger(value) ? value : mismatch(path, 'an integer', value, problems);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : mismatch(path, 'a number', value, problems);
    case 'array':
      if (!Array.isArray(value)) return mismatch(path, 'an array', value, problems);
      return value.map((item, index) => checkShape(item, shape.items, at(path, index), problems));
    case 'map':
      if (!isPlainObject(value)) return mismatch(path, 'an object', value, problems);
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, checkShape(item, shape.values, at(path, key), problems)]));
    case 'object':
      return checkObject(value, shape.fields, path, problems);
  }
}

function checkObject(value: unknown, fields: Record<string, Field>, path: string, problems: Problem[]): unknown {
  if (!isPlainObject(value)) return mismatch(path, 'an object', value, problems);
  const copy: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (value[name] === undefined) {
      if (field.required) problems.push({ path: at(path, name), rule: 'shape.required', message: `${name} is required` });
      continue;
    }
    copy[name] = checkShape(value[name], field.shape, at(path, name), problems);
  }
  for (const key of Object.keys(value)) {
    if (!(key in fields)) {
      problems.push({ path: at(path, key), rule: 'shape.unknown-key', message: `${key} is not a field here (expected one of ${Object.keys(fields).join(', ')})` });
    }
  }
  return copy;
}

function mismatch(path: string, expected: string, value: unknown, problems: Problem[]): undefined {
  problems.push({ path, rule: 'shape.type', message: `must be ${expected}, not ${describe(value)}` });
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
