/**
 * fromCloudFormation: the AWS::CodePipeline::Pipeline resources of a template (PascalCase keys)
 * as pipeline documents (CodePipeline's camelCase JSON), ready for importPipeline. The conversion
 * follows the declaration's shape, so scalars CloudFormation accepts loosely (`Version: 1`,
 * `PollForSourceChanges: false`, `RunOrder: '2'`) take the API's types.
 */
import { Tag } from '../declaration';
import { at, Problem, Warning } from '../problems';
import { PIPELINE_SHAPE } from '../read/pipeline-shape';
import { isPlainObject, Shape } from '../read/shape';
import { intrinsicName, renderIntrinsic } from './intrinsics';

export interface CloudFormationPipeline {
  logicalId: string;
  document: { pipeline: Record<string, unknown>; tags: Tag[] };
  warnings: Warning[];
}

export interface CloudFormationImport {
  pipelines: CloudFormationPipeline[];
  problems: Problem[];
  warnings: Warning[];
}

const PIPELINE_TYPE = 'AWS::CodePipeline::Pipeline';
/** Properties of the CloudFormation resource that are not part of the pipeline declaration. */
const RESOURCE_ONLY = ['DisableInboundStageTransitions', 'RestartExecutionOnUpdate'];

/** Accepts a template (with Resources) or a single resource (`{Type, Properties}`). */
export function fromCloudFormation(template: unknown): CloudFormationImport {
  const resources: Record<string, unknown> = isPlainObject(template) && isPlainObject(template.Resources)
    ? template.Resources
    : { Pipeline: template };
  const pipelines: CloudFormationPipeline[] = [];
  const warnings: Warning[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (isPlainObject(resource) && resource.Type === PIPELINE_TYPE && isPlainObject(resource.Properties)) {
      pipelines.push(convertPipeline(logicalId, resource.Properties));
    } else {
      const type = isPlainObject(resource) ? String(resource.Type) : typeof resource;
      warnings.push({ path: at('Resources', logicalId), rule: 'cloudformation.resource-ignored', message: `${type} is not a pipeline; ignored` });
    }
  }
  const problems: Problem[] = pipelines.length === 0
    ? [{ path: 'Resources', rule: 'cloudformation.no-pipeline', message: `the template declares no ${PIPELINE_TYPE} resource` }]
    : [];
  return { pipelines, problems, warnings };
}

function convertPipeline(logicalId: string, properties: Record<string, unknown>): CloudFormationPipeline {
  const warnings: Warning[] = [];
  const { ArtifactStores, Tags, ...rest } = properties;
  for (const key of RESOURCE_ONLY) {
    if (key in rest) {
      warnings.push({ path: at('pipeline', key), rule: 'cloudformation.property-ignored', message: `${key} belongs to the CloudFormation resource, not the declaration; ignored` });
      delete rest[key];
    }
  }
  if (rest.Name === undefined) {
    // CloudFormation names an unnamed pipeline itself; the logical id is the readable stand-in.
    rest.Name = logicalId;
    warnings.push({ path: 'pipeline.name', rule: 'cloudformation.name-generated', message: `no Name: CloudFormation would generate one; named ${logicalId}` });
  }
  const pipeline = convert(rest, PIPELINE_SHAPE, 'pipeline', warnings) as Record<string, unknown>;
  if (Array.isArray(ArtifactStores)) pipeline.artifactStores = artifactStoresByRegion(ArtifactStores, warnings);
  const tags = Array.isArray(Tags) ? (Tags.map((tag, i) => convert(tag, TAG_SHAPE, at('tags', i), warnings)) as Tag[]) : [];
  return { logicalId, document: { pipeline, tags }, warnings };
}

const TAG_SHAPE: Shape = { kind: 'object', fields: { key: { shape: { kind: 'string' } }, value: { shape: { kind: 'string' } } } };
const ARTIFACT_STORES_SHAPE = (PIPELINE_SHAPE as Extract<Shape, { kind: 'object' }>).fields.artifactStores!.shape as Extract<Shape, { kind: 'map' }>;

/** CloudFormation lists `{Region, ArtifactStore}`; the API keys stores by region. */
function artifactStoresByRegion(entries: unknown[], warnings: Warning[]): Record<string, unknown> {
  const stores: Record<string, unknown> = {};
  entries.forEach((entry, i) => {
    if (!isPlainObject(entry)) return;
    const region = String(convert(entry.Region, { kind: 'string' }, `${at('pipeline.artifactStores', i)}.region`, warnings));
    stores[region] = convert(entry.ArtifactStore, ARTIFACT_STORES_SHAPE.values, at('pipeline.artifactStores', region), warnings);
  });
  return stores;
}

function convert(value: unknown, shape: Shape, path: string, warnings: Warning[]): unknown {
  if (intrinsicName(value)) {
    const rendered = renderIntrinsic(value as Record<string, unknown>);
    warnings.push({ path, rule: 'cloudformation.intrinsic', message: `${intrinsicName(value)} is resolved by CloudFormation; kept as ${rendered}` });
    return rendered;
  }
  switch (shape.kind) {
    case 'string':
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    case 'integer':
    case 'number':
      return typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    case 'array':
      return Array.isArray(value) ? value.map((item, i) => convert(item, shape.items, at(path, i), warnings)) : value;
    case 'map':
      return isPlainObject(value)
        ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item, shape.values, at(path, key), warnings)]))
        : value;
    case 'object':
      if (!isPlainObject(value)) return value;
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => {
          const field = camelCase(key);
          const fieldShape = shape.fields[field]?.shape;
          // A key outside the model is carried over so that reading the document reports it.
          return [field, fieldShape ? convert(item, fieldShape, at(path, field), warnings) : item];
        }),
      );
  }
}

function camelCase(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}
