import { Injectable } from '@nestjs/common';
import { doraFigures, DoraFigures, DoraWindow } from '@pipewright/execution-domain';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { PipelineDeclarations } from '../executions/pipeline-declarations';
import { MetricsProjections } from './metrics-projections';

const DAY_MS = 24 * 3600 * 1000;
export const DEFAULT_WINDOW_DAYS = 30;

/** GetDoraMetrics: the figures of one pipeline over a window, from the DORA read model. */
@Injectable()
export class DoraHandler {
  constructor(
    private readonly infrastructure: ServiceInfrastructure,
    private readonly projections: MetricsProjections,
    private readonly pipelines: PipelineDeclarations,
  ) {}

  async figures(pipelineName: string, window: DoraWindow): Promise<DoraFigures> {
    const store = await this.infrastructure.store();
    const dora = await this.projections.doraCaughtUp();
    // A pipeline with no execution yet must still exist: pipeline-definition answers NOT_FOUND otherwise.
    if (!(await dora.hasExecutions(store.query, pipelineName))) await this.pipelines.latest(pipelineName);
    return doraFigures(await dora.finishedBefore(store.query, pipelineName, window.end), window);
  }
}

/** The window asked for, or the DEFAULT_WINDOW_DAYS before its end (now by default). */
export function doraWindow(start: Date | undefined, end: Date | undefined, now: Date): DoraWindow {
  const until = end ?? now;
  const from = start ?? new Date(until.getTime() - DEFAULT_WINDOW_DAYS * DAY_MS);
  return { start: from.toISOString(), end: until.toISOString() };
}
