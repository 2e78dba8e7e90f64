/** Most works one merged transaction takes: a bound on its size and on what a retry redoes. */
const MAX_GROUP_ITEMS = 500;

/**
 * Group commit for runs of job events: a run submitted while a transaction is in flight waits and
 * goes into the next one together with every other run that arrived meanwhile. Under load the
 * partitions' runs share one transaction (one commit, one outbox wake-up, one lanes lock
 * statement) instead of each paying its own; when idle a run starts at once. Each submitter
 * learns the outcome of the transaction its own works were in. A merged transaction that fails is
 * retried one run at a time, so one bad run cannot keep the others from committing.
 */
export class GroupCommit<T> {
  private readonly waiting: { items: readonly T[]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly commit: (items: readonly T[]) => Promise<void>,
    /** Transactions at once: while one waits for its commit, the next can be decided. */
    private readonly concurrency = 2,
  ) {}

  submit(items: readonly T[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.inFlight < this.concurrency && this.waiting.length > 0) {
      const group = this.take();
      this.inFlight++;
      void this.run(group).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async run(group: typeof this.waiting): Promise<void> {
    try {
      await this.commit(group.flatMap((g) => g.items));
      for (const g of group) g.resolve();
    } catch (error) {
      if (group.length === 1) group[0].reject(error);
      else for (const g of group) await this.commit(g.items).then(g.resolve, g.reject);
    }
  }

  /** The waiting runs in arrival order, up to MAX_GROUP_ITEMS works (always at least one run). */
  private take(): typeof this.waiting {
    let count = 0;
    let taken = 0;
    while (taken < this.waiting.length && (taken === 0 || count + this.waiting[taken].items.length <= MAX_GROUP_ITEMS)) count += this.waiting[taken++].items.length;
    return this.waiting.splice(0, taken);
  }
}
