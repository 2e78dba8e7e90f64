import { Problem } from '@pipewright/service-kit';
import { parseDocument } from 'yaml';

/** Limits on a declaration as text: far above any real pipeline, low enough to keep the service safe. */
export interface DocumentLimits {
  maxBytes: number;
  maxDepth: number;
}

export const defaultDocumentLimits: DocumentLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

export type ParsedDocument = { ok: true; value: unknown } | { ok: false; problems: Problem[] };

const fail = (message: string): ParsedDocument => ({ ok: false, problems: [{ path: 'pipeline', message }] });

/**
 * A declaration as a person wrote it — CodePipeline's JSON (`{"pipeline": …}` or the bare object)
 * or YAML of the same shape — turned into plain data, or problems saying why it cannot be.
 */
export function parsePipelineDocument(text: string, limits: DocumentLimits = defaultDocumentLimits): ParsedDocument {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) return fail(`the document is ${bytes} bytes; the limit is ${limits.maxBytes}`);
  // gRPC strings arrive decoded; bytes that were not UTF-8 became U+FFFD on the way.
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) return fail(`the document is not valid UTF-8 (at character ${bad})`);
  if (text.trim() === '') return fail('the document is empty');
  const depth = nestingDepth(text);
  if (depth > limits.maxDepth) return fail(`the document nests ${depth} levels deep; the limit is ${limits.maxDepth}`);
  const first = text.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch (error) {
      return fail(`the document is not valid JSON: ${(error as Error).message}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => ({ path: 'pipeline', message: `the document is not valid YAML: ${e.message.split('\n')[0]}` })) };
  }
  const value = doc.toJS({ maxAliasCount: 100 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('the document must be an object: {"pipeline": {…}} or the pipeline itself');
  return { ok: true, value };
}

/** Bracket and indentation depth, counted before parsing so a hostile document never reaches a parser. */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ']') depth--;
  }
  return max;
}
