import { isIP } from 'node:net';
import { Problem } from '@pipewright/service-kit';
import { isInternalAddress, isLocalHostname } from '../targets/address-guard';
import { EVENT_TYPE_IDS, EventTypeId, NotificationRule, Target, TARGET_TYPES, TargetType } from './rule';

/** What validation needs to know of the deployment. */
export interface ValidationContext {
  allowPrivateTargets: boolean;
  secretNames: ReadonlySet<string>;
  smtpConfigured: boolean;
}

/** The rule as a caller sent it (the proto-loader shape of NotificationRule). */
export interface RuleInput {
  name?: string | null;
  pipelines?: (string | null)[] | null;
  eventTypeIds?: (string | null)[] | null;
  targets?: ({ type?: string | null; address?: string | null; secretRef?: string | null } | null)[] | null;
  status?: string | null;
  detailType?: string | null;
}

export type ValidatedRule = { ok: true; rule: Omit<NotificationRule, 'created' | 'updated'> } | { ok: false; problems: Problem[] };

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const PIPELINE_NAME = /^[A-Za-z0-9.@_-]{1,100}$/;
// Kafka's legal topic characters; Pipewright's own topics are never a target (a rule must not feed the service itself).
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const EMAIL = /^[^\s@<>(),;:"[\]]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/;
const MAX_TARGETS = 10;

/** Every problem of a rule at once, each with its path; or the rule, normalised. */
export function validateRule(input: RuleInput | null | undefined, context: ValidationContext): ValidatedRule {
  if (!input) return { ok: false, problems: [{ path: 'rule', message: 'rule is required' }] };
  const problems: Problem[] = [];
  const name = input.name ?? '';
  if (!NAME.test(name)) problems.push({ path: 'rule.name', message: 'name is required: 1 to 64 letters, digits, ".", "_" or "-"' });

  const pipelines = (input.pipelines ?? []).map((p) => p ?? '');
  pipelines.forEach((p, i) => {
    if (!PIPELINE_NAME.test(p)) problems.push({ path: `rule.pipelines[${i}]`, message: `"${p}" is not a pipeline name` });
  });

  const eventTypeIds = (input.eventTypeIds ?? []).map((e) => e ?? '');
  if (eventTypeIds.length === 0) problems.push({ path: 'rule.event_type_ids', message: 'at least one event type id is required' });
  eventTypeIds.forEach((id, i) => {
    if (!(EVENT_TYPE_IDS as readonly string[]).includes(id)) problems.push({ path: `rule.event_type_ids[${i}]`, message: `unknown event type id "${id}"` });
  });

  const targets = (input.targets ?? []).map((t) => ({ type: t?.type ?? '', address: t?.address ?? '', secretRef: t?.secretRef ?? '' }));
  if (targets.length === 0) problems.push({ path: 'rule.targets', message: 'at least one target is required' });
  if (targets.length > MAX_TARGETS) problems.push({ path: 'rule.targets', message: `at most ${MAX_TARGETS} targets` });
  targets.forEach((t, i) => problems.push(...targetProblems(t, `rule.targets[${i}]`, context)));
  const seen = new Set<string>();
  targets.forEach((t, i) => {
    const key = `${t.type} ${t.address}`;
    if (seen.has(key)) problems.push({ path: `rule.targets[${i}]`, message: 'the same target appears twice' });
    seen.add(key);
  });

  const status = input.status || 'ENABLED';
  if (status !== 'ENABLED' && status !== 'DISABLED') problems.push({ path: 'rule.status', message: 'status must be ENABLED or DISABLED' });
  const detailType = input.detailType || 'FULL';
  if (detailType !== 'BASIC' && detailType !== 'FULL') problems.push({ path: 'rule.detail_type', message: 'detail_type must be BASIC or FULL' });

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    rule: {
      name,
      pipelines: [...new Set(pipelines)],
      eventTypeIds: [...new Set(eventTypeIds)] as EventTypeId[],
      targets: targets as Target[],
      status: status as 'ENABLED' | 'DISABLED',
      detailType: detailType as 'BASIC' | 'FULL',
    },
  };
}

function targetProblems(target: { type: string; address: string; secretRef: string }, path: string, context: ValidationContext): Problem[] {
  const problems: Problem[] = [];
  if (!(TARGET_TYPES as readonly string[]).includes(target.type)) {
    return [{ path: `${path}.type`, message: `type must be one of ${TARGET_TYPES.join(', ')}; got "${target.type}"` }];
  }
  const type = target.type as TargetType;
  const address = `${path}.address`;
  switch (type) {
    case 'webhook':
    case 'chat': {
      const problem = urlProblem(target.address, context.allowPrivateTargets);
      if (problem) problems.push({ path: address, message: problem });
      break;
    }
    case 'email':
      if (!EMAIL.test(target.address) || target.address.length > 254) problems.push({ path: address, message: `"${target.address}" is not an email address` });
      if (!context.smtpConfigured) problems.push({ path: `${path}.type`, message: 'email targets need an SMTP server (PIPEWRIGHT_NOTIFICATION_SMTP_URL)' });
      break;
    case 'kafka':
      if (!TOPIC.test(target.address)) problems.push({ path: address, message: `"${target.address}" is not a Kafka topic name` });
      else if (target.address.startsWith('pipewright.')) problems.push({ path: address, message: "Pipewright's own topics cannot be targets" });
      break;
  }
  if (target.secretRef) {
    if (type === 'email' || type === 'kafka') problems.push({ path: `${path}.secret_ref`, message: `${type} targets take no secret` });
    else if (!context.secretNames.has(target.secretRef)) problems.push({ path: `${path}.secret_ref`, message: `no secret named "${target.secretRef}" is configured` });
  }
  return problems;
}

/** Why a URL cannot be a target, or undefined. Names are checked again, resolved, at every send. */
export function urlProblem(text: string, allowPrivate: boolean): string | undefined {
  if (!text) return 'a URL is required';
  if (text.length > 2048) return 'the URL is longer than 2048 characters';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not a URL`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `the URL must be http or https, not ${url.protocol.replace(/:$/, '')}`;
  if (url.username || url.password) return 'the URL must not carry credentials (use secret_ref)';
  if (!url.hostname) return 'the URL has no host';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && (isLocalHostname(host) || (isIP(host) !== 0 && isInternalAddress(host)))) {
    return `${host} is a loopback, link-local or private address; such targets are refused unless the operator allows them`;
  }
  return undefined;
}
