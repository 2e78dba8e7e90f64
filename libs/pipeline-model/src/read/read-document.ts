/**
 * Reading a pipeline document as people have it: `{"pipeline": {…}}` (what `get-pipeline` prints
 * and `create-pipeline --cli-input-json` takes, maybe with `metadata`, `tags` or a stray key beside
 * it) or the bare pipeline object (what `--pipeline` takes). Input is already-parsed JSON/YAML.
 */
import { PipelineDeclaration, Tag } from '../declaration';
import { Problem, Warning } from '../problems';
import { PIPELINE_SHAPE, TAGS_SHAPE } from './pipeline-shape';
import { checkShape, isPlainObject } from './shape';

export interface ReadResult {
  /** Present when the document has CodePipeline's shape (no problems). */
  declaration?: PipelineDeclaration;
  tags: Tag[];
  problems: Problem[];
  warnings: Warning[];
}

export type DocumentShape = 'wrapped' | 'bare';

export function documentShape(input: unknown): DocumentShape {
  return isPlainObject(input) && 'pipeline' in input ? 'wrapped' : 'bare';
}

export function readPipelineDocument(input: unknown): ReadResult {
  const problems: Problem[] = [];
  const warnings: Warning[] = [];
  let tags: Tag[] = [];
  let pipeline: unknown = input;
  if (documentShape(input) === 'wrapped') {
    const document = input as Record<string, unknown>;
    pipeline = document.pipeline;
    for (const key of Object.keys(document)) {
      if (key === 'pipeline') continue;
      if (key === 'tags') tags = (checkShape(document.tags, TAGS_SHAPE, 'tags', problems) as Tag[] | undefined) ?? [];
      else if (key === 'metadata') warnings.push({ path: 'metadata', rule: 'document.metadata-ignored', message: 'metadata (pipelineArn, created, updated) is assigned by the service; ignored' });
      else warnings.push({ path: key, rule: 'document.stray-key', message: `${key} is not part of a pipeline document; ignored` });
    }
  }
  const declaration = checkShape(pipeline, PIPELINE_SHAPE, 'pipeline', problems) as PipelineDeclaration | undefined;
  return problems.length === 0 ? { declaration, tags, problems, warnings } : { tags, problems, warnings };
}
