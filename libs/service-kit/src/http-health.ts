import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { HealthRegistry } from './health';

/** HTTP liveness and readiness for orchestrators that do not speak gRPC health (Kubernetes probes). */
@Controller()
export class HttpHealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @Get('healthz')
  @HttpCode(200)
  live() {
    return { status: 'alive' };
  }

  @Get('readyz')
  ready(@Res() res: { status(code: number): { json(body: unknown): void } }) {
    const statuses = this.registry.all();
    const ready = Object.values(statuses).every((s) => s === 'SERVING');
    res.status(ready ? 200 : 503).json({ ready, statuses });
  }
}
