import { Controller, Injectable, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { IncomingMessage, ServerResponse } from 'node:http';
import { WebhookDeliveries } from './webhook-deliveries';

/** GitHub's largest push payload. */
const MAX_PAYLOAD_BYTES = 25 * 1024 * 1024;
const PATH = '/webhooks';

type RawRequest = IncomingMessage & { rawBody?: Buffer; params?: Record<string, string> };
interface HttpResponse {
  status(code: number): { json(body: unknown): void };
}

/**
 * Keeps a delivery's exact bytes, which its signature covers. Registered while the application is
 * built, so it runs before Nest's JSON parser (which would keep only the parsed object, and at most
 * 100 kB of it); the parser then finds the body read and leaves it alone.
 */
@Injectable()
export class WebhookBodyReader {
  constructor(adapterHost: HttpAdapterHost) {
    adapterHost.httpAdapter.use(PATH, (req: RawRequest, res: ServerResponse, next: (error?: unknown) => void) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_PAYLOAD_BYTES) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ outcome: 'Rejected', detail: `payload over ${MAX_PAYLOAD_BYTES} bytes` }));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        if (res.headersSent) return;
        req.rawBody = Buffer.concat(chunks);
        next();
      });
      req.on('error', next);
    });
  }
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
