import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { actionTypeKey, PipelineDeclaration } from '@pipewright/pipeline-model';
import { intEnv, ServiceInfrastructure } from '@pipewright/service-kit';
import { inSpan, PipewrightAttributes } from '@pipewright/telemetry';
import { ExecutionRequests, TriggeredRevision } from './execution-requests';
import { GitPush, refPush } from './git-push';
import { GitRemote, redactUrl } from './git-remote';
import { PollHeads } from './poll-heads';
import { pushMatches, TriggerSource, triggerSources } from './trigger-filters';
import { CurrentPipeline, TriggeredPipelines } from './triggered-pipelines';
import { WebhookRepository } from './webhook-repository';

const MAX_BACKOFF_MS = 10 * 60_000;

/**
 * How a source action is polled. PollForSourceChanges=true polls it always and =false never; left
 * out, a V2 pipeline's Pipewright Git source is polled while no webhook reports its changes.
 */
function pollMode(declaration: PipelineDeclaration, source: TriggerSource): 'always' | 'without-webhook' | 'never' {
  const configuration = source.action.configuration ?? {};
  if (actionTypeKey(source.action.actionTypeId) !== 'Source/Pipewright/Git/1' || !configuration.RepositoryUrl) return 'never';
  const declared = configuration.PollForSourceChanges?.toLowerCase();
  if (declared === 'true') return 'always';
  if (declared === 'false') return 'never';
  return declaration.pipelineType === 'V2' ? 'without-webhook' : 'never';
}

/**
 * Polls the repositories of source actions every PIPEWRIGHT_POLL_INTERVAL_MS (30 s): `git ls-remote`,
 * compared with the refs seen last time; each moved ref that passes the trigger rule requests one
 * execution, in the transaction that records the refs as seen. The first poll only records.
 */
@Injectable()
export class SourcePoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('source-poller');
  private readonly intervalMs = intEnv('PIPEWRIGHT_POLL_INTERVAL_MS', 30_000);
  private readonly failures = new Map<string, { count: number; retryAt: number; message: string }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly pipelines: TriggeredPipelines,
    private readonly heads: PollHeads,
    private readonly webhooks: WebhookRepository,
    private readonly requests: ExecutionRequests,
    private readonly git: GitRemote,
    private readonly infrastructure: ServiceInfrastructure,
  ) {}

  onApplicationBootstrap(): void {
    if (this.intervalMs <= 0) {
      this.logger.log('polling is off (PIPEWRIGHT_POLL_INTERVAL_MS <= 0)');
      return;
    }
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.git.cancel();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.cycle()
        .catch((error: unknown) => this.logger.error(`poll cycle failed: ${error instanceof Error ? error.message : String(error)}`))
        .finally(() => this.schedule(this.intervalMs));
    }, delayMs);
  }

  /** One pass over every polled source action; one failing repository does not hold up the others. */
  async cycle(): Promise<void> {
    for await (const pipeline of this.pipelines.all()) {
      for (const source of triggerSources(pipeline.declaration)) {
        if (this.stopped) return;
        const mode = pollMode(pipeline.declaration, source);
        if (mode === 'never') continue;
        const key = `${pipeline.name}\u0000${source.action.name}`;
        const failure = this.failures.get(key);
        if (failure && failure.retryAt > Date.now()) continue;
        const store = await this.infrastructure.store();
        if (mode === 'without-webhook' && (await this.webhooks.targets(store.query, pipeline.name, source.action.name))) continue;
        try {
          await this.poll(pipeline, source, mode);
          if (failure) this.logger.log(`${pipeline.name}.${source.action.name}: polling works again`);
          this.failures.delete(key);
        } catch (error) {
          const message = redactUrl(error instanceof Error ? error.message : String(error));
          const count = (failure?.count ?? 0) + 1;
          this.failures.set(key, { count, retryAt: Date.now() + Math.min(this.intervalMs * 2 ** count, MAX_BACKOFF_MS), message });
          if (failure?.message !== message) this.logger.warn(`${pipeline.name}.${source.action.name}: poll failed: ${message}`);
        }
      }
    }
  }

  private async poll(pipeline: CurrentPipeline, source: TriggerSource, mode: 'always' | 'without-webhook'): Promise<void> {
    const repository = source.action.configuration!.RepositoryUrl;
    const action = source.action.name;
    const { refs, defaultBranch } = await this.git.listRefs(repository);
    const seen = await this.heads.load(pipeline.name, action, repository);
    const moved: GitPush[] = [];
    if (seen) {
      for (const [ref, commit] of refs) {
        if (seen.get(ref) === commit) continue;
        const push = refPush(ref, commit, seen.get(ref));
        if (push) moved.push({ ...push, defaultBranch });
      }
    }
    // Nothing moved, appeared or went: nothing to write.
    if (seen && moved.length === 0 && [...seen.keys()].every((ref) => refs.has(ref))) return;
    const started: TriggeredRevision[] = [];
    for (const push of moved) {
      let verdict = pushMatches(source.rule, push);
      if (verdict === 'needs-files') verdict = pushMatches(source.rule, { ...push, changedFiles: await this.git.changedFiles(repository, push.before, push.commit) });
      if (verdict === true) {
        started.push({ pipelineName: pipeline.name, pipelineVersion: pipeline.version, declaration: pipeline.declaration, sourceAction: action, revision: push.commit, triggerType: 'PollForSourceChanges', triggerDetail: action, at: new Date() });
      }
    }
    const store = await this.infrastructure.store();
    const recorded = await store.transaction(async (tx) => {
      // A webhook put since the check above reports these changes itself; its own refs are not ours to record.
      if (mode === 'without-webhook' && (await this.webhooks.targets(tx.query, pipeline.name, action))) return false;
      await this.heads.save(tx.query, pipeline.name, action, repository, refs);
      for (const change of started) {
        // Nothing upstream caused a polled change: its execution's trace starts here.
        const attributes = { [PipewrightAttributes.pipeline]: pipeline.name, [PipewrightAttributes.action]: action, 'pipewright.source.revision': change.revision };
        const requested = await inSpan('trigger PollForSourceChanges', { root: true, attributes }, () => this.requests.request(tx, change));
        if (requested) this.logger.log(`${pipeline.name}.${action}: new revision ${change.revision}; execution requested`);
      }
      return true;
    });
    if (recorded && !seen) this.logger.log(`${pipeline.name}.${action}: first poll of ${redactUrl(repository)}; ${refs.size} refs recorded as seen`);
  }
}
