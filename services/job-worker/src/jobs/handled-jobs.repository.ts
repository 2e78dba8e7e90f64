import { Injectable, OnModuleInit } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';

export type HandledState = 'Claimed' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled';

/**
 * The worker's record of the jobs it took, shared by every worker of the group: a job id is
 * claimed once, so a redelivered JobRequested (or one that reaches another worker after a
 * rebalance) runs nothing new. A cancel that arrives before its request is remembered too.
 */
@Injectable()
export class HandledJobsRepository implements OnModuleInit {
  constructor(private readonly infrastructure: ServiceInfrastructure) {}

  private async table(): Promise<string> {
    const store = await this.infrastructure.store();
    return `"${store.schema}".handled_jobs`;
  }

  async onModuleInit(): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(
      `CREATE TABLE IF NOT EXISTS ${await this.table()} (
         job_id text PRIMARY KEY, nonce text NOT NULL, pipeline_name text NOT NULL, state text NOT NULL,
         worker_id text NOT NULL, updated timestamptz NOT NULL)`,
    );
  }

  /** True when this call took the job; false when it was taken (or cancelled) before. */
  async claim(jobId: string, nonce: string, pipelineName: string, workerId: string): Promise<boolean> {
    const store = await this.infrastructure.store();
    const rows = await store.query(
      `INSERT INTO ${await this.table()} (job_id, nonce, pipeline_name, state, worker_id, updated) VALUES ($1, $2, $3, 'Claimed', $4, now())
       ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
      [jobId, nonce, pipelineName, workerId],
    );
    return rows.length === 1;
  }

  /** The pipeline of a job the group took (recorded when it was claimed); undefined for any other id. */
  async pipelineOf(jobId: string): Promise<string | undefined> {
    const store = await this.infrastructure.store();
    const rows = (await store.query(`SELECT pipeline_name FROM ${await this.table()} WHERE job_id = $1`, [jobId])) as { pipeline_name: string }[];
    return rows[0]?.pipeline_name || undefined;
  }

  async record(jobId: string, state: HandledState): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(`UPDATE ${await this.table()} SET state = $2, updated = now() WHERE job_id = $1`, [jobId, state]);
  }

  /** A cancel for a job not taken yet: a later JobRequested for it is then skipped. */
  async cancelUnclaimed(jobId: string, pipelineName: string, workerId: string): Promise<void> {
    const store = await this.infrastructure.store();
    await store.query(
      `INSERT INTO ${await this.table()} (job_id, nonce, pipeline_name, state, worker_id, updated) VALUES ($1, '', $2, 'Cancelled', $3, now())
       ON CONFLICT (job_id) DO NOTHING`,
      [jobId, pipelineName, workerId],
    );
  }
}
