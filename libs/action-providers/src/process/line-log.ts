/**
 * Splits streamed output into lines for the job log and keeps the last few for failure messages.
 * Bytes are decoded per stream, so a multi-byte character split across chunks stays whole.
 */
export class LineLog {
  private readonly tail: string[] = [];
  private readonly partial = new Map<string, string>();

  constructor(private readonly sink: (chunk: string) => void, private readonly keep = 20) {}

  write(streamName: string, text: string): void {
    const lines = ((this.partial.get(streamName) ?? '') + text).split('\n');
    this.partial.set(streamName, lines.pop() ?? '');
    for (const line of lines) this.line(line);
  }

  /** Flushes unterminated output, e.g. when a process exits. */
  end(): void {
    for (const [name, rest] of this.partial) {
      if (!rest) continue;
      this.line(rest);
      this.partial.set(name, '');
    }
  }

  line(text: string): void {
    this.sink(`${text}\n`);
    this.tail.push(text);
    if (this.tail.length > this.keep) this.tail.shift();
  }

  lastLines(): string {
    return this.tail.join('\n');
  }
}
