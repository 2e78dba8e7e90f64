/** Reading documents: shapes, every type problem with its exact path, keys outside CodePipeline's model. */
import { readPipelineDocument } from '../src';
import { basePipeline } from './fixtures';

const paths = (input: unknown) => readPipelineDocument(input).problems.map(({ path, rule }) => ({ path, rule }));

describe('readPipelineDocument', () => {
  it('reads {"pipeline": …} as get-pipeline prints it', () => {
    const result = readPipelineDocument({ pipeline: basePipeline() });
    expect(result).toEqual({ declaration: basePipeline(), tags: [], problems: [], warnings: [] });
  });

  it('reads the bare pipeline object', () => {
    expect(readPipelineDocument(basePipeline()).declaration).toEqual(basePipeline());
  });

  it('returns tags separately', () => {
    expect(readPipelineDocument({ pipeline: basePipeline(), tags: [{ key: 'team', value: 'web' }] }).tags).toEqual([{ key: 'team', value: 'web' }]);
  });

  it('checks the shape of tags', () => {
    expect(paths({ pipeline: basePipeline(), tags: [{ key: 'team' }] })).toEqual([{ path: 'tags[0].value', rule: 'shape.required' }]);
  });

  it('ignores metadata and stray keys beside the pipeline with warnings', () => {
    const result = readPipelineDocument({ pipeline: basePipeline(), metadata: { pipelineArn: 'arn' }, buildProject: {} });
    expect(result.problems).toEqual([]);
    expect(result.warnings.map((w) => [w.path, w.rule])).toEqual([
      ['metadata', 'document.metadata-ignored'],
      ['buildProject', 'document.stray-key'],
    ]);
  });

  it('a key outside CodePipeline\'s model inside the pipeline is a problem', () => {
    const pipeline = basePipeline();
    Object.assign(pipeline.stages[1]!.actions[0]!, { timeout: 5 });
    expect(paths(pipeline)).toEqual([{ path: 'pipeline.stages[1].actions[0].timeout', rule: 'shape.unknown-key' }]);
  });

  it('a value of the wrong type is a problem at its exact path', () => {
    const pipeline = basePipeline() as unknown as { stages: { actions: Record<string, unknown>[] }[] };
    pipeline.stages[1]!.actions[0]!.runOrder = '1';
    expect(paths(pipeline)).toEqual([{ path: 'pipeline.stages[1].actions[0].runOrder', rule: 'shape.type' }]);
  });

  it('configuration values are strings', () => {
    const pipeline = basePipeline() as unknown as { stages: { actions: { configuration: Record<string, unknown> }[] }[] };
    pipeline.stages[2]!.actions[0]!.configuration.KeepReleases = 3;
    expect(paths(pipeline)).toEqual([{ path: 'pipeline.stages[2].actions[0].configuration.KeepReleases', rule: 'shape.type' }]);
  });

  it('an enumerated field takes only CodePipeline\'s values', () => {
    expect(paths({ ...basePipeline(), executionMode: 'SERIAL' })).toEqual([{ path: 'pipeline.executionMode', rule: 'shape.enum' }]);
  });

  it('reports every problem at once, never only the first', () => {
    const pipeline = { name: 7, stages: [{ actions: 'none' }, { name: 'B', actions: [{ name: 'x' }] }], extra: true };
    expect(paths({ pipeline })).toEqual([
      { path: 'pipeline.name', rule: 'shape.type' },
      { path: 'pipeline.stages[0].name', rule: 'shape.required' },
      { path: 'pipeline.stages[0].actions', rule: 'shape.type' },
      { path: 'pipeline.stages[1].actions[0].actionTypeId', rule: 'shape.required' },
      { path: 'pipeline.extra', rule: 'shape.unknown-key' },
    ]);
  });

  it('a map key that is not an identifier is quoted in the path', () => {
    expect(paths({ ...basePipeline(), artifactStores: { 'us-east-1': { type: 'S3' } } })).toEqual([{ path: 'pipeline.artifactStores["us-east-1"].location', rule: 'shape.required' }]);
  });

  it('something that is not an object is a problem at pipeline', () => {
    expect(paths('pipeline: x')).toEqual([{ path: 'pipeline', rule: 'shape.type' }]);
    expect(paths({ pipeline: null })).toEqual([{ path: 'pipeline', rule: 'shape.type' }]);
  });

  it('gives no declaration when there are problems', () => {
    expect(readPipelineDocument({ pipeline: { name: 'x' } }).declaration).toBeUndefined();
  });
});
