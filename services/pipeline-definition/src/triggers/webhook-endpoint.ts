import { Controller, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { IncomingMessage } from 'node:http';
import { WebhookDeliveries } from './webhook-deliveries';

/**
 * The delivery's exact bytes, which its signature covers, are kept by the service's body parser
 * (runService enables Nest's rawBody, and a 25 MB limit: GitHub's largest push payload).
 */
type RawRequest = IncomingMessage & { rawBody?: Buffer; params?: Record<string, string> };
interface HttpResponse {
  status(code: number): { json(body: unknown): void };
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value[0] : value]));
}

/** POST /webhooks/<name>: where GitHub, GitLab and Gitea deliver pushes. */
@Controller('webhooks')
export class WebhookEndpoint {
  private readonly logger = new Logger('webhooks');

  constructor(private readonly deliveries: WebhookDeliveries) {}

  @Post(':name')
  async deliver(@Param('name') name: string, @Req() req: RawRequest, @Res() res: HttpResponse): Promise<void> {
    try {
      const result = await this.deliveries.receive({ webhookName: name, headers: headersOf(req), body: req.rawBody ?? Buffer.alloc(0), remoteAddress: req.socket.remoteAddress ?? '' });
      res.status(result.status).json({ outcome: result.outcome, detail: result.detail, revision: result.revision });
    } catch (error) {
      this.logger.error(`webhook ${name}: delivery failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      res.status(500).json({ outcome: 'Error', detail: 'internal error; the delivery can be retried' });
    }
  }
}
