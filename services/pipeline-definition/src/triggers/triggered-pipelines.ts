import { Inject, Injectable } from '@nestjs/common';
import { latestVersion, PipelineDeclaration } from '@pipewright/pipeline-model';
import { PIPELINE_REPOSITORY, PipelineRepository } from '../pipelines/pipeline-repository';

export interface CurrentPipeline {
  name: string;
  version: number;
  declaration: PipelineDeclaration;
}

const PAGE = 200;

/** The latest version of each pipeline, folded from its stream; a poll cycle re-folds only what changed. */
@Injectable()
export class TriggeredPipelines {
  private readonly cache = new Map<string, { pipeline: CurrentPipeline; updated: number }>();

  constructor(@Inject(PIPELINE_REPOSITORY) private readonly repository: PipelineRepository) {}

  async current(name: string): Promise<CurrentPipeline | undefined> {
    const { state } = await this.repository.load(name);
    if (state.status !== 'Active') return undefined;
    const { version, declaration } = latestVersion(state);
    return { name, version, declaration };
  }

  /** Every active pipeline, page by page from the list read model. */
  async *all(): AsyncGenerator<CurrentPipeline> {
    const listed = new Set<string>();
    for (let after = ''; ; ) {
      const rows = await this.repository.list(after, PAGE);
      for (const row of rows) {
        listed.add(row.name);
        const cached = this.cache.get(row.name);
        // A pipeline deleted and created again can reuse a version number, never an update time.
        if (cached && cached.pipeline.version === row.version && cached.updated === row.updated.getTime()) {
          yield cached.pipeline;
          continue;
        }
        const pipeline = await this.current(row.name);
        if (!pipeline) continue;
        this.cache.set(row.name, { pipeline, updated: row.updated.getTime() });
        yield pipeline;
      }
      if (rows.length < PAGE) break;
      after = rows[rows.length - 1].name;
    }
    for (const name of this.cache.keys()) if (!listed.has(name)) this.cache.delete(name);
  }
}
