import { request as httpRequest, IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, isInternalAddress, isLocalHostname, TargetAddressRefused } from './address-guard';

export interface PostLimits {
  timeoutMs: number;
  maxResponseBytes: number;
  allowInternal: boolean;
}

export interface PostResult {
  /** 2xx and a response within the size limit. */
  ok: boolean;
  statusCode?: number;
  error?: string;
}

/**
 * POSTs a body and reads at most maxResponseBytes of the answer, all within timeoutMs. Never follows
 * redirects (a redirect could lead to an internal address); never throws: every failure is a result.
 */
export function postBounded(url: string, body: string, headers: Record<string, string>, limits: PostLimits): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ ok: false, error: `invalid URL ${url}` });
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!limits.allowInternal && (isLocalHostname(host) || (isIP(host) !== 0 && isInternalAddress(host)))) {
      return resolve({ ok: false, error: new TargetAddressRefused(host, host).message });
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Pipewright-Notification/1', ...headers },
      lookup: guardedLookup(limits.allowInternal),
      agent: false,
    });
    const timer = setTimeout(() => finish({ ok: false, error: `no complete answer within ${limits.timeoutMs} ms` }), limits.timeoutMs);
    req.on('error', (error) => finish({ ok: false, error: error.message }));
    req.on('response', (res: IncomingMessage) => {
      const statusCode = res.statusCode ?? 0;
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxResponseBytes) {
          finish({ ok: false, statusCode, error: `response larger than ${limits.maxResponseBytes} bytes; the rest was not read` });
        }
      });
      res.on('end', () =>
        finish(statusCode >= 200 && statusCode < 300 ? { ok: true, statusCode } : { ok: false, statusCode, error: `HTTP ${statusCode}${res.statusMessage ? ` ${res.statusMessage}` : ''}` }),
      );
      res.on('error', (error) => finish({ ok: false, statusCode, error: error.message }));
    });
    req.end(body);
  });
}
