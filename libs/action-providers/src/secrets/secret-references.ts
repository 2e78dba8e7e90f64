// `#{secrets.name}`: a secret of the pipeline's owning team, resolved by the job's worker only.
import { SECRET_REFERENCE } from '@pipewright/pipeline-model';

/** The names of the secrets the texts reference, each once, in order of first use. */
export function secretReferences(texts: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const text of texts) for (const match of text.matchAll(SECRET_REFERENCE)) names.add(match[1]!);
  return [...names];
}

/** The text with every `#{secrets.name}` replaced by its value (names without a value stay literal). */
export function substituteSecrets(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(SECRET_REFERENCE, (whole, name: string) => (Object.hasOwn(values, name) ? values[name]! : whole));
}
