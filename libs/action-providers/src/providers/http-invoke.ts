import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configurationError, integerConfig, JobFailure, optionalConfig, outputDir, requiredConfig, succeeded, type ActionProvider, type ActionTypeId, type JobContext, type JobOutcome } from '../job';
import { abortFailure } from '../process/shell';

const BODY_LIMIT = 64 * 1024;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Invoke/Pipewright/Http: one HTTP call whose response status decides the job, retried with
 * exponential backoff on network errors, timeouts, 408, 429 and 5xx.
 */
export class HttpInvokeProvider implements ActionProvider {
  constructor(private readonly baseBackoffMillis = 250) {}

  supports(type: ActionTypeId): boolean {
    return type.category === 'Invoke' && type.owner === 'Pipewright' && type.provider === 'Http';
  }

  async run(job: JobContext): Promise<JobOutcome> {
    const request = parseRequest(job);
    const retries = integerConfig(job, 'Retries', 2, 0, 10);
    const timeoutMillis = integerConfig(job, 'TimeoutSeconds', 30, 1, 3600) * 1000;
    const expected = statusMatcher(optionalConfig(job, 'ExpectedStatus') ?? '2xx');
    let problem = '';
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      if (attempt > 1) {
        const delay = Math.min(this.baseBackoffMillis * 2 ** (attempt - 2), 10_000) * (0.5 + Math.random() / 2);
        job.log(`retrying in ${Math.round(delay)} ms after: ${problem}\n`);
        await sleep(delay, undefined, { signal: job.signal }).catch(() => undefined);
      }
      if (job.signal.aborted) throw abortFailure(job);
      try {
        const response = await fetch(request.url, { ...request.init, signal: AbortSignal.any([job.signal, AbortSignal.timeout(timeoutMillis)]), redirect: 'manual' });
        const { text, truncated } = await readBounded(response);
        job.log(`${request.init.method} ${request.url} → ${response.status} (attempt ${attempt})\n`);
        if (expected(response.status)) return await this.success(job, response, text, truncated, attempt);
        problem = `status ${response.status}: ${text.slice(0, 200)}`;
        if (!retryable(response.status)) break;
      } catch (error) {
        if (job.signal.aborted) throw abortFailure(job);
        problem = (error as Error).name === 'TimeoutError' ? `no response within ${timeoutMillis} ms` : `${(error as Error).message}${causeOf(error)}`;
        job.log(`${request.init.method} ${request.url} failed (attempt ${attempt}): ${problem}\n`);
      }
    }
    throw new JobFailure('JobFailed', `${request.init.method} ${request.url} did not return ${optionalConfig(job, 'ExpectedStatus') ?? '2xx'}: ${problem}`);
  }

  private async success(job: JobContext, response: Response, body: string, truncated: boolean, attempts: number): Promise<JobOutcome> {
    const outputDirs: Record<string, string> = {};
    const [output] = job.outputArtifacts;
    if (output) {
      outputDirs[output.name] = outputDir(job, output.name);
      await fs.mkdir(outputDirs[output.name], { recursive: true });
      await fs.writeFile(path.join(outputDirs[output.name], 'response-body'), body);
      const headers = Object.fromEntries(response.headers.entries());
      await fs.writeFile(path.join(outputDirs[output.name], 'response.json'), JSON.stringify({ status: response.status, headers, bodyTruncated: truncated }, null, 2));
    }
    return succeeded({ outputDirs, outputVariables: { StatusCode: String(response.status), Attempts: String(attempts) }, summary: `HTTP ${response.status} after ${attempts} attempt${attempts === 1 ? '' : 's'}` });
  }
}

function parseRequest(job: JobContext): { url: string; init: RequestInit & { method: string } } {
  const url = requiredConfig(job, 'Url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw configurationError(`Url ${JSON.stringify(url)} is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw configurationError(`Url must be http or https, got ${parsed.protocol}`);
  const method = (optionalConfig(job, 'Method') ?? 'GET').toUpperCase();
  if (!METHODS.includes(method)) throw configurationError(`Method ${method} is not one of ${METHODS.join(', ')}`);
  const headers = parseHeaders(optionalConfig(job, 'Headers'));
  const body = optionalConfig(job, 'Body');
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw configurationError(`a ${method} request cannot have a Body`);
  return { url: parsed.toString(), init: { method, headers, body } };
}

function parseHeaders(json: string | undefined): Record<string, string> {
  if (json === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw configurationError('Headers must be a JSON object of strings');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) throw configurationError('Headers must be a JSON object of strings');
  return value as Record<string, string>;
}

/** "2xx", "200", "200,201,3xx". */
export function statusMatcher(expression: string): (status: number) => boolean {
  const parts = expression.split(',').map((part) => part.trim().toLowerCase());
  for (const part of parts) if (!/^[1-5](\d\d|xx)$/.test(part)) throw configurationError(`ExpectedStatus ${JSON.stringify(expression)}: ${JSON.stringify(part)} is not a status like 200 or 2xx`);
  return (status) => parts.some((part) => (part.endsWith('xx') ? Math.floor(status / 100) === Number(part[0]) : status === Number(part)));
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Reads at most BODY_LIMIT bytes and drops the rest of the response. */
async function readBounded(response: Response): Promise<{ text: string; truncated: boolean }> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= BODY_LIMIT) {
      truncated = size > BODY_LIMIT;
      await reader.cancel();
      break;
    }
  }
  return { text: Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8'), truncated };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : '';
}
