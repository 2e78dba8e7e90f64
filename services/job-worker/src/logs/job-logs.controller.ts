import { InvalidRequest } from '@pipewright/decider';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { jobV1 } from '@pipewright/contracts';
import { toGrpcError } from '@pipewright/service-kit';
import { Observable } from 'rxjs';
import { JobLogNotFound } from './errors';
import { isSafeJobId, JobLogStore } from './job-log-store';
import { readLines, tailOffset } from './log-file';

type Send = (response: jobV1.GetJobLogsResponse) => void;

/** gRPC adapter of JobLogService: a job's log from its file, and, with follow, as it grows until the job ends. */
@Controller()
export class JobLogsController {
  constructor(private readonly logs: JobLogStore) {}

  @GrpcMethod('JobLogService')
  async getJobLogs(request: jobV1.GetJobLogsRequest): Promise<Observable<jobV1.GetJobLogsResponse>> {
    const jobId = request.jobId ?? '';
    if (!jobId) throw InvalidRequest.at('job_id', 'job_id is required');
    if (!isSafeJobId(jobId)) throw InvalidRequest.at('job_id', 'job_id is not a job id');
    const tailLines = request.tailLines ?? 0;
    if (tailLines < 0) throw InvalidRequest.at('tail_lines', 'tail_lines must not be negative');
    if (!this.logs.running(jobId) && (await this.logs.storedSize(jobId)) === undefined) throw new JobLogNotFound(jobId);

    return new Observable((subscriber) => {
      const cancelled = new AbortController();
      const send: Send = (response) => subscriber.next(response);
      this.stream(jobId, tailLines, request.follow ?? false, send, cancelled.signal).then(
        () => subscriber.complete(),
        (error: unknown) => subscriber.error(toGrpcError(error)),
      );
      return () => cancelled.abort();
    });
  }

  private async stream(jobId: string, tailLines: number, follow: boolean, send: Send, cancelled: AbortSignal): Promise<void> {
    const file = this.logs.file(jobId);
    const writer = this.logs.running(jobId);
    const size = writer ? writer.size : ((await this.logs.storedSize(jobId)) ?? 0);
    let offset = await tailOffset(file, size, tailLines);
    for (;;) {
      if (cancelled.aborted) return;
      const live = writer && !writer.finished;
      const end = live ? writer.size : ((await this.logs.storedSize(jobId)) ?? 0);
      const { chunks, end: reached } = await readLines(file, offset, end, Boolean(live));
      offset = reached;
      if (!live) {
        // The job has ended: the rest of the file, the last chunk marked.
        if (chunks.length === 0) chunks.push({ text: '', offset });
        chunks.forEach((chunk, i) => send({ text: chunk.text, offset: String(chunk.offset), endOfLog: i === chunks.length - 1 }));
        return;
      }
      for (const chunk of chunks) send({ text: chunk.text, offset: String(chunk.offset), endOfLog: false });
      if (!follow) return;
      await writer.changed(end, cancelled);
    }
  }
}
