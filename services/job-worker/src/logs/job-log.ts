import { EventEmitter, once } from 'node:events';
import { promises as fs } from 'node:fs';
import type { MaskingStream, SecretMasker } from '@pipewright/action-providers';

/**
 * The log file of one running job. Output is appended as it streams; readers follow `size` (bytes
 * already on disk) and wake on 'grown', so what they read is always flushed. The last lines stay in
 * memory for failure messages.
 */
export class JobLogWriter extends EventEmitter {
  private written: Promise<void> = Promise.resolve();
  private partial = '';
  private readonly tail: string[] = [];
  private bytes = 0;
  private ended = false;
  private masking?: MaskingStream;

  private constructor(
    readonly jobId: string,
    readonly file: string,
    private readonly handle: fs.FileHandle,
    private readonly keepLines: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  static async open(jobId: string, file: string, keepLines = 20): Promise<JobLogWriter> {
    // 'w': a job's log is its own; a re-run of the same id on this worker starts it afresh.
    return new JobLogWriter(jobId, file, await fs.open(file, 'w'), keepLines);
  }

  /** Bytes of the log already on disk. */
  get size(): number {
    return this.bytes;
  }

  get finished(): boolean {
    return this.ended;
  }

  /** From now on every secret value is written as `***`, even when a chunk boundary splits it. */
  maskWith(masker: SecretMasker): void {
    if (!masker.empty) this.masking = masker.stream((text) => this.write(text));
  }

  append(text: string): void {
    if (this.ended || text === '') return;
    if (this.masking) this.masking.append(text);
    else this.write(text);
  }

  private write(text: string): void {
    this.remember(text);
    const data = Buffer.from(text, 'utf8');
    this.written = this.written.then(async () => {
      await this.handle.write(data);
      this.bytes += data.length;
      this.emit('grown');
    });
  }

  /** A line of the worker's own, marked as such. */
  note(line: string): void {
    this.append(`[pipewright] ${line}\n`);
  }

  lastLines(): string {
    return [...this.tail, ...(this.partial ? [this.partial] : [])].join('\n');
  }

  async close(): Promise<void> {
    if (this.ended) return;
    this.masking?.flush();
    this.ended = true;
    await this.written.catch(() => undefined);
    await this.handle.close();
    this.emit('end');
  }

  /** Resolves when the log has more than `knownSize` bytes on disk, or ended. */
  async changed(knownSize: number, signal: AbortSignal): Promise<void> {
    if (this.ended || this.bytes !== knownSize) return;
    await Promise.race([once(this, 'grown', { signal }), once(this, 'end', { signal })]).catch(() => undefined);
  }

  private remember(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      this.tail.push(line);
      if (this.tail.length > this.keepLines) this.tail.shift();
    }
  }
}
