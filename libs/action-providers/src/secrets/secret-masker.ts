/** What replaces a secret value wherever the job's output goes. */
export const MASK = '***';

/**
 * Replaces secret values by `***` in whatever a job publishes or stores. Longer values are replaced
 * first, so a value containing another one is masked whole. Empty values mask nothing.
 */
export class SecretMasker {
  private readonly values: string[];

  constructor(values: Iterable<string>) {
    this.values = [...new Set([...values].filter((v) => v !== ''))].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.values.length === 0;
  }

  mask(text: string): string {
    let masked = text;
    for (const value of this.values) masked = masked.split(value).join(MASK);
    return masked;
  }

  /** Every value of a record masked (output variables, details). */
  maskRecord(record: Readonly<Record<string, string>>): Record<string, string> {
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, this.mask(v)]));
  }

  /** A masker for text that arrives in chunks, which can split a value between two of them. */
  stream(write: (text: string) => void): MaskingStream {
    return new MaskingStream(this, write);
  }

  /** The length of the longest tail of `text` that begins some value: it must wait for the next chunk. */
  pendingTail(text: string): number {
    let longest = 0;
    for (const value of this.values) {
      // Only tails shorter than the value and longer than the best so far can matter.
      for (let start = Math.max(0, text.length - value.length + 1); start < text.length - longest; start++) {
        if (text.charCodeAt(start) === value.charCodeAt(0) && value.startsWith(text.slice(start))) {
          longest = text.length - start;
          break;
        }
      }
    }
    return longest;
  }
}

/**
 * Masks a stream: holds back only the tail of the text that could begin a secret value, writes
 * the rest masked at once, and writes what it held at `flush()`.
 */
export class MaskingStream {
  private held = '';

  constructor(
    private readonly masker: SecretMasker,
    private readonly write: (text: string) => void,
  ) {}

  append(chunk: string): void {
    if (this.masker.empty) {
      this.write(chunk);
      return;
    }
    const text = this.masker.mask(this.held + chunk);
    const keep = this.masker.pendingTail(text);
    this.held = text.slice(text.length - keep);
    const ready = text.slice(0, text.length - keep);
    if (ready) this.write(ready);
  }

  flush(): void {
    if (this.held) this.write(this.masker.mask(this.held));
    this.held = '';
  }
}
