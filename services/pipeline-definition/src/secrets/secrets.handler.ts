import { InvalidRequest } from '@pipewright/decider';
import { Injectable } from '@nestjs/common';
import { SECRET_NAME } from '@pipewright/pipeline-model';
import { Identity, securityConfig } from '@pipewright/security';
import { IdentityRepository } from '../identity/identity.repository';
import { SecretNotFound, SecretStoreUnavailable, SecretValuesForJobsOnly } from './errors';
import { openSecret, parseSecretsKey, sealSecret, SecretKeyUnusable, SecretTampered } from './secret-cipher';
import { SecretRow, SecretsRepository } from './secrets.repository';

const MAX_VALUE_BYTES = 64 * 1024;
/** Whose secrets a pipeline without a recorded owner reads (pipelines created with auth off). */
export const DEFAULT_TEAM = 'default';

function required(value: string | undefined, path: string): string {
  if (!value) throw InvalidRequest.at(path, `${path} is required`);
  return value;
}

function secretName(value: string | undefined, path: string): string {
  const name = required(value, path);
  if (!SECRET_NAME.test(name)) throw InvalidRequest.at(path, `a secret name is 1-128 letters, digits, '_', '.' and '-', not ${JSON.stringify(name.slice(0, 140))}`);
  return name;
}

/** Who asks for a job's secrets, as the auth guard decided it (undefined with PIPEWRIGHT_AUTH=off). */
export interface JobSecretsCaller {
  identity?: Identity;
}

/** The per-team secret store: values sealed under PIPEWRIGHT_SECRETS_KEY, opened only for a job of the team's pipelines. */
@Injectable()
export class SecretsHandler {
  /** Read once: the configuration loads keys (a JWKS file too) that a per-job call need not read again. */
  private readonly authRequired = securityConfig().mode === 'required';

  constructor(
    private readonly secrets: SecretsRepository,
    private readonly identities: IdentityRepository,
  ) {}

  async put(request: { team?: string; name?: string; value?: string }, now: Date): Promise<SecretRow> {
    const team = required(request.team, 'team');
    const name = secretName(request.name, 'name');
    const value = required(request.value, 'value');
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) throw InvalidRequest.at('value', `a secret value is at most ${MAX_VALUE_BYTES} bytes, not ${bytes}`);
    const key = this.key();
    return this.secrets.put(team, name, now, (version) => sealSecret(key, { team, name, version }, value));
  }

  async delete(request: { team?: string; name?: string }): Promise<void> {
    const team = required(request.team, 'team');
    const name = secretName(request.name, 'name');
    if (!(await this.secrets.delete(team, name))) throw new SecretNotFound(name, team);
  }

  list(request: { team?: string }): Promise<SecretRow[]> {
    return this.secrets.list(required(request.team, 'team'));
  }

  /**
   * The values of the job's secrets, from the team owning its pipeline. With a job token the
   * pipeline is the token's (the guard has matched the job id); any other identity is refused, even
   * a system administrator's. With auth off the request names the pipeline.
   */
  async resolveForJob(request: { jobId?: string; pipelineName?: string; names?: readonly string[] }, caller: JobSecretsCaller): Promise<Record<string, string>> {
    const jobId = required(request.jobId, 'job_id');
    let pipeline: string;
    if (this.authRequired || caller.identity) {
      const grant = caller.identity?.kind === 'job' ? caller.identity.job : undefined;
      if (!grant || grant.jobId !== jobId) throw new SecretValuesForJobsOnly(caller.identity ? `${caller.identity.kind} ${caller.identity.subject}` : 'an unauthenticated caller');
      pipeline = grant.pipeline;
    } else {
      pipeline = required(request.pipelineName, 'pipeline_name');
    }
    const names = [...new Set(request.names ?? [])];
    names.forEach((name, i) => secretName(name, `names[${i}]`));
    if (!names.length) return {};
    const key = this.key();
    const team = (await this.identities.ownerOf(pipeline)) ?? DEFAULT_TEAM;
    const rows = new Map((await this.secrets.sealed(team, names)).map((r) => [r.name, r]));
    const values: Record<string, string> = {};
    for (const name of names) {
      const row = rows.get(name);
      if (!row) throw new SecretNotFound(name, team);
      try {
        values[name] = openSecret(key, row, row.sealed);
      } catch (error) {
        if (error instanceof SecretTampered) throw new SecretStoreUnavailable(error.message);
        throw error;
      }
    }
    return values;
  }

  /** Read at each use, so a key set (or rotated) in the environment is reported precisely when it is wrong. */
  private key(): Buffer {
    try {
      return parseSecretsKey(process.env.PIPEWRIGHT_SECRETS_KEY);
    } catch (error) {
      if (error instanceof SecretKeyUnusable) throw new SecretStoreUnavailable(error.message);
      throw error;
    }
  }
}
