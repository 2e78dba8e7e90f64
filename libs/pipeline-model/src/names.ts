/**
 * CodePipeline's naming constraints (API reference), and recognition of the placeholders people
 * leave in templates (`PLACEHOLDER`, `%Name%`, `{{Name}}`): a value that breaks a
 * constraint only because of a placeholder is a warning, since it will be filled in before use.
 */
export interface NameConstraint {
  what: string;
  pattern: RegExp;
  maxLength: number;
}

export const PIPELINE_NAME: NameConstraint = { what: 'pipeline name', pattern: /^[A-Za-z0-9.@\-_]+$/, maxLength: 100 };
export const STAGE_NAME: NameConstraint = { what: 'stage name', pattern: /^[A-Za-z0-9.@\-_]+$/, maxLength: 100 };
export const ACTION_NAME: NameConstraint = { what: 'action name', pattern: /^[A-Za-z0-9.@\-_]+$/, maxLength: 100 };
export const ARTIFACT_NAME: NameConstraint = { what: 'artifact name', pattern: /^[a-zA-Z0-9_\-]+$/, maxLength: 100 };
export const NAMESPACE_NAME: NameConstraint = { what: 'namespace', pattern: /^[A-Za-z0-9@\-_]+$/, maxLength: 100 };
export const PIPELINE_VARIABLE_NAME: NameConstraint = { what: 'pipeline variable name', pattern: /^[A-Za-z0-9@\-_]+$/, maxLength: 128 };

export type NameVerdict = 'valid' | 'placeholder' | 'invalid';

export function checkName(name: string, constraint: NameConstraint): NameVerdict {
  if (fits(name, constraint)) return 'valid';
  return containsPlaceholder(name) && fits(fillPlaceholders(name), constraint) ? 'placeholder' : 'invalid';
}

export function describeNameConstraint(constraint: NameConstraint): string {
  return `${constraint.what} must be 1..${constraint.maxLength} characters matching ${constraint.pattern.source.slice(1, -1)}`;
}

function fits(name: string, constraint: NameConstraint): boolean {
  return name.length >= 1 && name.length <= constraint.maxLength && constraint.pattern.test(name);
}

// `{{…}}` also covers CloudFormation dynamic references and the intrinsics fromCloudFormation renders.
// Shell-style `${NAME}` is not here: outside Fn::Sub it is literal text, and invalid in a name.
const PLACEHOLDER_TOKENS = [/PLACEHOLDER/g, /%[A-Za-z][\w-]*%/g, /\{\{[^{}]+\}\}/g];

export function containsPlaceholder(value: string): boolean {
  return PLACEHOLDER_TOKENS.some((token) => new RegExp(token.source).test(value));
}

function fillPlaceholders(value: string): string {
  return PLACEHOLDER_TOKENS.reduce((filled, token) => filled.replace(token, 'x'), value);
}
