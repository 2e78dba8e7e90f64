import { readFileSync } from 'node:fs';
import { UsageError } from '../config';
import { CliContext } from '../context';
import { print, time } from '../output';
import { Args } from './args';

function document(path: string | undefined): string {
  if (!path) throw new UsageError('a declaration file (JSON or YAML) is required');
  return readFileSync(path, 'utf8');
}

function tags(values: string[]) {
  return values.map((t) => {
    const i = t.indexOf('=');
    if (i <= 0) throw new UsageError(`--tag takes key=value, got "${t}"`);
    return { key: t.slice(0, i), value: t.slice(i + 1) };
  });
}

function warn(response: { warnings?: { path: string; message: string }[]; actionsAwaitingWorker?: { stageName: string; actionName: string }[] }) {
  for (const w of response.warnings ?? []) process.stderr.write(`warning: ${w.path}: ${w.message}\n`);
  for (const a of response.actionsAwaitingWorker ?? []) process.stderr.write(`note: ${a.stageName}.${a.actionName} waits for a worker polling its action type\n`);
}

/** pipeline create|update|get|list|delete|versions */
export async function pipelineCommand(ctx: CliContext, args: Args): Promise<void> {
  const [sub, target] = args.positionals;
  const pipelines = ctx.client('PipelineService');
  switch (sub) {
    case 'create': {
      const response = await pipelines.call('CreatePipeline', { pipelineDocument: document(target), tags: tags(args.list('tag')) });
      warn(response);
      return print({ pipeline: response.pipeline }, ctx.output, [{ name: response.pipeline.name, version: response.pipeline.version, stages: response.pipeline.stages.length }]);
    }
    case 'update': {
      const expected = args.value('expected-version');
      const response = await pipelines.call('UpdatePipeline', { pipelineDocument: document(target), expectedVersion: expected === undefined ? undefined : Number(expected) });
      warn(response);
      return print({ pipeline: response.pipeline }, ctx.output, [{ name: response.pipeline.name, version: response.pipeline.version }]);
    }
    case 'get': {
      if (!target) throw new UsageError('pipeline get <name> [--version n]');
      const version = args.value('version');
      const response = await pipelines.call('GetPipeline', { name: target, version: version === undefined ? undefined : Number(version) });
      return print({ pipeline: response.pipeline, metadata: { ...response.metadata, created: time(response.metadata.created), updated: time(response.metadata.updated) } }, ctx.output === 'table' ? 'yaml' : ctx.output);
    }
    case 'list': {
      const response = await pipelines.call('ListPipelines', { maxResults: 1000 });
      const rows = response.pipelines.map((p: any) => ({ name: p.name, version: p.version, type: p.pipelineType, mode: p.executionMode, updated: time(p.updated) }));
      return print(response.pipelines, ctx.output, rows);
    }
    case 'delete': {
      if (!target) throw new UsageError('pipeline delete <name>');
      await pipelines.call('DeletePipeline', { name: target });
      return print({ deleted: target }, ctx.output);
    }
    case 'versions': {
      if (!target) throw new UsageError('pipeline versions <name>');
      const response = await pipelines.call('ListPipelineVersions', { name: target, maxResults: 1000 });
      return print(response.pipelineVersions, ctx.output, response.pipelineVersions.map((v: any) => ({ version: v.version, created: time(v.created) })));
    }
    default:
      throw new UsageError('pipeline create|update|get|list|delete|versions');
  }
}
