/**
 * What CreatePipeline and UpdatePipeline do with a document: read its shape, then validate the
 * declaration; problems of both steps come back together.
 */
import { PipelineDeclaration, Tag } from './declaration';
import { Problem, Warning } from './problems';
import { readPipelineDocument } from './read/read-document';
import { ActionTypeRegistry } from './registry/registry';
import { ValidationOptions } from './validate/options';
import { validatePipeline } from './validate/validate-pipeline';

export interface ImportResult {
  /** Present only when there are no problems. */
  declaration?: PipelineDeclaration;
  tags: Tag[];
  problems: Problem[];
  warnings: Warning[];
}

export function importPipeline(input: unknown, registry: ActionTypeRegistry, options: Partial<ValidationOptions> = {}): ImportResult {
  const read = readPipelineDocument(input);
  if (!read.declaration) return read;
  const validation = validatePipeline(read.declaration, registry, options);
  const warnings = [...read.warnings, ...validation.warnings];
  return validation.problems.length === 0
    ? { declaration: read.declaration, tags: read.tags, problems: [], warnings }
    : { tags: read.tags, problems: validation.problems, warnings };
}
