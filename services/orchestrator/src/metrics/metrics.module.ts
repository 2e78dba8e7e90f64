import { Module } from '@nestjs/common';
import { ExecutionsModule } from '../executions/executions.module';
import { DoraController } from './dora.controller';
import { DoraHandler } from './dora.handler';
import { DoraProjection } from './dora.projection';
import { ExecutionMetricsProjection } from './execution-metrics.projection';
import { MetricsProjections } from './metrics-projections';

/** Execution metrics for Prometheus and the DORA figures, both projections of the executions' log. */
@Module({
  imports: [ExecutionsModule],
  controllers: [DoraController],
  providers: [DoraProjection, ExecutionMetricsProjection, MetricsProjections, DoraHandler],
})
export class MetricsModule {}
