/**
 * CloudFormation intrinsic functions (long form: `{"Ref": …}`, `{"Fn::Sub": …}`; a YAML parser maps
 * the short `!Ref` forms to these) rendered as readable `{{…}}` placeholders, which validation
 * treats as values filled in later.
 */
import { isPlainObject } from '../read/shape';

export function intrinsicName(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::')) ? keys[0] : undefined;
}

export function renderIntrinsic(value: Record<string, unknown>): string {
  const name = intrinsicName(value)!;
  const argument = value[name];
  switch (name) {
    case 'Ref':
      return `{{Ref ${text(argument)}}}`;
    case 'Fn::Sub': {
      const template = Array.isArray(argument) ? argument[0] : argument;
      return typeof template === 'string' ? template.replace(/\$\{([^}!]+)\}/g, '{{$1}}') : `{{Fn::Sub}}`;
    }
    case 'Fn::GetAtt':
      return `{{GetAtt ${Array.isArray(argument) ? argument.map(text).join('.') : text(argument)}}}`;
    case 'Fn::Join':
      return Array.isArray(argument) && Array.isArray(argument[1]) ? argument[1].map(text).join(text(argument[0])) : `{{Fn::Join}}`;
    default:
      return `{{${name.replace(/^Fn::/, '')} ${flatText(argument)}}}`;
  }
}

/** A plain value as text; a nested intrinsic rendered without its braces doubled. */
function text(value: unknown): string {
  if (intrinsicName(value)) return renderIntrinsic(value as Record<string, unknown>).replace(/^\{\{(.*)\}\}$/, '$1');
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function flatText(value: unknown): string {
  return Array.isArray(value) ? value.map(text).join(' ') : text(value);
}
