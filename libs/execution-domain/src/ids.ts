/**
 * Deterministic ids without randomness or node:crypto (the domain is pure): a 128-bit
 * non-cryptographic hash (cyrb128) of ids and a per-execution seed that arrive with commands.
 * Replaying the same history therefore yields the same job ids, nonces and approval tokens.
 */
export function hash128(...parts: readonly (string | number)[]): string {
  const input = parts.join('\u001f');
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < input.length; i++) {
    const k = input.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

/** A hash shaped like a UUID, as CodePipeline's ids and tokens are. */
export function uuidFrom(...parts: readonly (string | number)[]): string {
  const h = hash128(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** One id per action attempt; for job-backed actions it is also the job id. */
export function actionExecutionIdFor(pipelineExecutionId: string, stageName: string, actionName: string, attempt: number): string {
  return uuidFrom('action-execution', pipelineExecutionId, stageName, actionName, attempt);
}

/** The nonce fences a job's results to the attempt it was issued for; the seed keeps it unguessable. */
export function jobNonceFor(seed: string, jobId: string): string {
  return hash128('job-nonce', seed, jobId);
}

export function approvalTokenFor(seed: string, actionExecutionId: string): string {
  return uuidFrom('approval-token', seed, actionExecutionId);
}
