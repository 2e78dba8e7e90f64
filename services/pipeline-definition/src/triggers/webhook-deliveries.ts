import { Injectable, Logger } from '@nestjs/common';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { InvalidWebhookPayload } from './errors';
import { ExecutionRequests, TriggeredRevision } from './execution-requests';
import { GitPush, gitHostOf, isPushEvent, parsePush } from './git-push';
import { GitRemote } from './git-remote';
import { ruleMatches } from './json-path';
import { pushMatches, triggerSources } from './trigger-filters';
import { TriggeredPipelines } from './triggered-pipelines';
import { Webhook, webhookArn, WebhookDelivery, WebhookRepository } from './webhook-repository';
import { verifyDelivery } from './webhook-signature';

export interface IncomingDelivery {
  webhookName: string;
  headers: Record<string, string | undefined>;
  body: Buffer;
  remoteAddress: string;
}

export interface DeliveryResult {
  /** The HTTP status to answer with. */
  status: number;
  outcome: WebhookDelivery['outcome'] | 'UnknownWebhook';
  detail: string;
  revision?: string;
}

/** GitHub may send the payload as a form field; GitLab and Gitea send JSON. */
function payloadOf(headers: Record<string, string | undefined>, body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    if ((headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return JSON.parse(new URLSearchParams(text).get('payload') ?? '');
    return JSON.parse(text);
  } catch {
    throw new InvalidWebhookPayload('the payload is not JSON');
  }
}

/**
 * One push delivered to a webhook: authenticated first (nothing else is read from a delivery that
 * fails), then matched against the webhook's filter rules and the pipeline's trigger, and turned
 * into at most one execution request per revision. Every delivery leaves a row saying what happened.
 */
@Injectable()
export class WebhookDeliveries {
  private readonly logger = new Logger('webhooks');

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly pipelines: TriggeredPipelines,
    private readonly requests: ExecutionRequests,
    private readonly git: GitRemote,
    private readonly infrastructure: ServiceInfrastructure,
  ) {}

  async receive(delivery: IncomingDelivery): Promise<DeliveryResult> {
    const received = new Date();
    const webhook = await this.webhooks.get(delivery.webhookName);
    if (!webhook) return { status: 404, outcome: 'UnknownWebhook', detail: `no webhook ${delivery.webhookName}` };
    const source = gitHostOf(delivery.headers);
    const record = async (result: DeliveryResult): Promise<DeliveryResult> => {
      const row = { webhookName: webhook.name, deliveryId: source?.deliveryId ?? '', host: source?.host ?? 'unknown', received, revision: result.revision, detail: result.detail };
      if (result.outcome !== 'UnknownWebhook') await this.webhooks.recordDelivery((await this.infrastructure.store()).query, { ...row, outcome: result.outcome });
      return result;
    };
    if (!source) return record({ status: 400, outcome: 'Rejected', detail: 'not a GitHub, GitLab or Gitea delivery (no X-GitHub-Event, X-Gitlab-Event or X-Gitea-Event header)' });
    const verdict = verifyDelivery(webhook.authentication, webhook.secretToken, webhook.allowedIpRange, { host: source.host, headers: delivery.headers, body: delivery.body, remoteAddress: delivery.remoteAddress });
    if (!verdict.ok) {
      this.logger.warn(`webhook ${webhook.name} rejected ${source.host} delivery ${source.deliveryId || '(no id)'} from ${delivery.remoteAddress}: ${verdict.reason}`);
      return record({ status: 401, outcome: 'Rejected', detail: verdict.reason });
    }
    if (!isPushEvent(source.host, source.event)) return record({ status: 200, outcome: 'Ignored', detail: `${source.event} is not a push event` });
    let payload: unknown;
    let push: GitPush | undefined;
    try {
      payload = payloadOf(delivery.headers, delivery.body);
      push = parsePush(source.host, payload);
    } catch (error) {
      if (!(error instanceof InvalidWebhookPayload)) throw error;
      return record({ status: 400, outcome: 'Rejected', detail: error.message });
    }
    if (!push) return record({ status: 200, outcome: 'Ignored', detail: 'the push deleted a ref' });
    const decided = await this.decide(webhook, payload, push);
    if (!('change' in decided)) return record(decided);
    const store = await this.infrastructure.store();
    return store.transaction(async (tx) => {
      const started = await this.requests.request(tx, decided.change);
      const outcome: DeliveryResult & { outcome: 'Started' | 'AlreadyStarted' } = started
        ? { status: 202, outcome: 'Started', detail: `execution of ${webhook.targetPipeline} requested`, revision: push.commit }
        : { status: 200, outcome: 'AlreadyStarted', detail: `revision ${push.commit} already started ${webhook.targetPipeline}`, revision: push.commit };
      await this.webhooks.recordDelivery(tx.query, { webhookName: webhook.name, deliveryId: source.deliveryId, host: source.host, received, ...outcome });
      if (started) this.logger.log(`webhook ${webhook.name} (${source.host} delivery ${source.deliveryId}) requested an execution of ${webhook.targetPipeline} at ${push.ref} ${push.commit}`);
      return outcome;
    });
  }

  /** Whether the push passes the webhook's rules and the pipeline's trigger; the change to request when it does. */
  private async decide(webhook: Webhook, payload: unknown, push: GitPush): Promise<DeliveryResult | { change: TriggeredRevision }> {
    const { targetPipeline: pipelineName, targetAction: actionName } = webhook;
    const pipeline = await this.pipelines.current(pipelineName);
    if (!pipeline) return { status: 200, outcome: 'Ignored', detail: `pipeline ${pipelineName} does not exist` };
    const source = triggerSources(pipeline.declaration).find((s) => s.action.name === actionName);
    if (!source) return { status: 200, outcome: 'Ignored', detail: `${pipelineName} has no source action ${actionName}` };
    const failed = webhook.filters.find((rule) => !ruleMatches(payload, rule, source.action.configuration ?? {}));
    if (failed) return { status: 200, outcome: 'Filtered', detail: `${failed.jsonPath} does not equal ${failed.matchEquals}`, revision: push.commit };
    let verdict = pushMatches(source.rule, push);
    const repository = source.action.configuration?.RepositoryUrl;
    if (verdict === 'needs-files' && repository) {
      try {
        verdict = pushMatches(source.rule, { ...push, changedFiles: await this.git.changedFiles(repository, push.before, push.commit) });
      } catch (error) {
        this.logger.warn(`webhook ${webhook.name}: cannot list the files changed by ${push.commit} in ${repository}: ${(error as Error).message}`);
      }
    }
    if (verdict !== true) return { status: 200, outcome: 'Filtered', detail: `${push.ref} at ${push.commit} does not match the trigger of ${pipelineName}.${actionName}`, revision: push.commit };
    return {
      change: {
        pipelineName,
        pipelineVersion: pipeline.version,
        declaration: pipeline.declaration,
        sourceAction: actionName,
        revision: push.commit,
        triggerType: (pipeline.declaration.pipelineType ?? 'V1') === 'V2' ? 'WebhookV2' : 'Webhook',
        triggerDetail: webhookArn(webhook.name),
        at: new Date(),
      },
    };
  }
}
