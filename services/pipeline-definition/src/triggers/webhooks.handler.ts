import { Injectable } from '@nestjs/common';
import { PipelineNotFound, Tag } from '@pipewright/pipeline-model';
import { httpPort, Problem } from '@pipewright/service-kit';
import { InvalidWebhookDefinition } from './errors';
import { parseJsonPath } from './json-path';
import { TriggeredPipelines } from './triggered-pipelines';
import { Webhook, WebhookFilterRule, WebhookRepository } from './webhook-repository';
import { parseIpRange, WEBHOOK_AUTHENTICATIONS, WebhookAuthentication } from './webhook-signature';

/** PutWebhook's input, already out of its proto message. */
export interface WebhookInput {
  name: string;
  targetPipeline: string;
  targetAction: string;
  filters: WebhookFilterRule[];
  authentication: string;
  allowedIpRange: string;
  secretToken: string;
  tags: Tag[];
}

// CodePipeline's limits on a webhook definition.
const NAME = /^[A-Za-z0-9.@\-_]{1,100}$/;
const MAX_FILTERS = 5;
const MAX_FILTER_LENGTH = 150;
const MAX_SECRET_LENGTH = 100;

/** The address deliveries are posted to: PIPEWRIGHT_WEBHOOK_BASE_URL (as the git host reaches it), else this process's HTTP port. */
export function webhookUrl(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.PIPEWRIGHT_WEBHOOK_BASE_URL || `http://127.0.0.1:${httpPort('pipeline-definition', env)}`;
  return `${base.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(name)}`;
}

function problemsOf(input: WebhookInput): Problem[] {
  const problems: Problem[] = [];
  const problem = (path: string, message: string) => problems.push({ path: `webhook.${path}`, message });
  if (!NAME.test(input.name)) problem('name', 'name is 1..100 characters of A-Z a-z 0-9 . @ - _');
  if (!input.targetPipeline) problem('target_pipeline', 'target_pipeline is required');
  if (!input.targetAction) problem('target_action', 'target_action is required');
  if (input.filters.length > MAX_FILTERS) problem('filters', `at most ${MAX_FILTERS} filters, not ${input.filters.length}`);
  input.filters.forEach((rule, i) => {
    if (!parseJsonPath(rule.jsonPath) || rule.jsonPath.length > MAX_FILTER_LENGTH) problem(`filters[${i}].json_path`, `${JSON.stringify(rule.jsonPath)} is not a JSONPath such as $.ref (at most ${MAX_FILTER_LENGTH} characters)`);
    if (rule.matchEquals.length > MAX_FILTER_LENGTH) problem(`filters[${i}].match_equals`, `match_equals is at most ${MAX_FILTER_LENGTH} characters`);
  });
  if (!WEBHOOK_AUTHENTICATIONS.includes(input.authentication as WebhookAuthentication)) {
    problem('authentication', `authentication is one of ${WEBHOOK_AUTHENTICATIONS.join(', ')}`);
  } else if (input.authentication === 'GITHUB_HMAC' && (input.secretToken.length === 0 || input.secretToken.length > MAX_SECRET_LENGTH)) {
    problem('authentication_configuration.secret_token', `GITHUB_HMAC needs a secret_token of 1..${MAX_SECRET_LENGTH} characters`);
  } else if (input.authentication === 'IP' && !parseIpRange(input.allowedIpRange)) {
    problem('authentication_configuration.allowed_ip_range', 'IP needs allowed_ip_range, an address or CIDR range such as 10.0.0.0/8');
  }
  return problems;
}

/** PutWebhook, ListWebhooks, DeleteWebhook. */
@Injectable()
export class WebhooksHandler {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly pipelines: TriggeredPipelines,
  ) {}

  async put(input: WebhookInput, now: Date): Promise<Webhook> {
    const problems = problemsOf(input);
    if (problems.length) throw new InvalidWebhookDefinition(problems);
    const pipeline = await this.pipelines.current(input.targetPipeline);
    if (!pipeline) throw new PipelineNotFound(`pipeline ${input.targetPipeline} not found`, { name: input.targetPipeline });
    const action = (pipeline.declaration.stages[0]?.actions ?? []).find((a) => a.name === input.targetAction && a.actionTypeId.category === 'Source');
    if (!action) throw new InvalidWebhookDefinition([{ path: 'webhook.target_action', message: `${input.targetAction} is not a Source action of ${input.targetPipeline}` }]);
    return this.webhooks.put({ ...input, authentication: input.authentication as WebhookAuthentication, created: now });
  }

  list(afterName: string, limit: number): Promise<Webhook[]> {
    return this.webhooks.list(afterName, limit);
  }

  /** As in CodePipeline, deleting a webhook that does not exist succeeds. */
  async delete(name: string): Promise<void> {
    if (!name) throw new InvalidWebhookDefinition([{ path: 'name', message: 'name is required' }]);
    await this.webhooks.delete(name);
  }
}
