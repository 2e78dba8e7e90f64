/** Why the worker aborted a job's signal; the provider reports the reason's message. */
export class WorkerShuttingDown extends Error {
  constructor() {
    super('worker shutting down: the job was stopped before it finished');
    this.name = new.target.name;
  }
}

export class JobCancelledByOrchestrator extends Error {
  constructor(reason: string) {
    super(`the job was cancelled${reason ? `: ${reason}` : ''}`);
    this.name = new.target.name;
  }
}
