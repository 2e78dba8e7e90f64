import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { WORKER_CONFIG, WorkerConfig } from '../config';
import { JobLogWriter } from './job-log';

/** Job ids are used as file names: only the characters the orchestrator's ids (UUIDs) use, and a few more. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export const isSafeJobId = (jobId: string) => JOB_ID.test(jobId) && !jobId.includes('..');

/** Where job logs live (one file per job under the log root) and which of them are still being written. */
@Injectable()
export class JobLogStore {
  private readonly live = new Map<string, JobLogWriter>();

  constructor(@Inject(WORKER_CONFIG) private readonly config: WorkerConfig) {}

  file(jobId: string): string {
    if (!isSafeJobId(jobId)) throw new Error(`job id ${JSON.stringify(jobId)} cannot name a log file`);
    return path.join(this.config.logRoot, `${jobId}.log`);
  }

  async open(jobId: string): Promise<JobLogWriter> {
    await fs.mkdir(this.config.logRoot, { recursive: true });
    const writer = await JobLogWriter.open(jobId, this.file(jobId));
    this.live.set(jobId, writer);
    writer.once('end', () => {
      if (this.live.get(jobId) === writer) this.live.delete(jobId);
    });
    return writer;
  }

  running(jobId: string): JobLogWriter | undefined {
    return this.live.get(jobId);
  }

  /** Size of a finished job's log on disk; undefined when there is none. */
  async storedSize(jobId: string): Promise<number | undefined> {
    const stat = await fs.stat(this.file(jobId)).catch(() => undefined);
    return stat?.isFile() ? stat.size : undefined;
  }
}
