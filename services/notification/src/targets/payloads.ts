import { DETAIL_TYPES } from '../events/execution-event';
import { ClaimedDelivery } from '../deliveries/delivery';

/** The JSON every webhook and Kafka target receives: CodePipeline's notification shape plus delivery ids. */
export function notificationBody(delivery: ClaimedDelivery): Record<string, unknown> {
  const { event } = delivery;
  return {
    deliveryId: delivery.deliveryId,
    notificationRuleName: delivery.ruleName,
    eventId: event.eventId,
    eventType: event.eventType,
    eventTypeId: event.eventTypeId,
    detailType: DETAIL_TYPES[event.eventType],
    source: 'pipewright.codepipeline',
    time: event.time.toISOString(),
    pipeline: event.pipeline,
    executionId: event.executionId,
    detail: delivery.detailType === 'BASIC' ? basicDetail(event.data) : event.data,
  };
}

/** BASIC: which pipeline, execution, stage and action, and the state; nothing of revisions, variables or errors. */
function basicDetail(data: Record<string, unknown>): Record<string, unknown> {
  const keep = ['pipeline', 'executionId', 'version', 'stage', 'action', 'state', 'time'];
  return Object.fromEntries(Object.entries(data).filter(([k]) => keep.includes(k)));
}

/** A one-line summary for people: "Pipeline deploy-web: stage Build SUCCEEDED". */
export function headline(delivery: ClaimedDelivery): string {
  const d = delivery.event.data as { stage?: string; action?: string; state?: string };
  const where = d.action ? `action ${d.stage}/${d.action}` : d.stage ? `stage ${d.stage}` : 'execution';
  const what = delivery.event.eventType === 'pipewright.execution.v1.ApprovalStateChange' ? `approval ${d.state ?? ''}` : d.state ?? '';
  return `Pipeline ${delivery.event.pipeline}: ${where} ${what}`.trim();
}

export function executionLink(consoleUrl: string, delivery: ClaimedDelivery): string {
  const { pipeline, executionId } = delivery.event;
  return `${consoleUrl}/pipelines/${encodeURIComponent(pipeline)}${executionId ? `/executions/${encodeURIComponent(executionId)}` : ''}`;
}

/** Slack's mrkdwn gives &, < and > meaning; names in a message must not. */
const escapeMrkdwn = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Slack's incoming-webhook message (also understood by Mattermost, Rocket.Chat and others). */
export function chatMessage(delivery: ClaimedDelivery, consoleUrl: string): Record<string, unknown> {
  const d = delivery.event.data as { stage?: string; action?: string; state?: string };
  const link = executionLink(consoleUrl, delivery);
  const fields = [
    `*Pipeline:* ${delivery.event.pipeline}`,
    ...(d.stage ? [`*Stage:* ${d.stage}`] : []),
    ...(d.action ? [`*Action:* ${d.action}`] : []),
    `*Status:* ${d.state ?? ''}`,
    ...(delivery.event.executionId ? [`*Execution:* ${delivery.event.executionId}`] : []),
  ].map(escapeMrkdwn);
  const title = escapeMrkdwn(headline(delivery));
  return {
    text: `${title} <${link}|View execution>`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${title}*` } },
      { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'View execution' }, url: link }] },
    ],
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function emailMessage(delivery: ClaimedDelivery, consoleUrl: string): { subject: string; text: string; html: string } {
  const d = delivery.event.data as { stage?: string; action?: string; state?: string; summary?: string };
  const link = executionLink(consoleUrl, delivery);
  const rows: [string, string][] = [
    ['Pipeline', delivery.event.pipeline],
    ['Execution', delivery.event.executionId],
    ['Stage', d.stage ?? ''],
    ['Action', d.action ?? ''],
    ['Status', d.state ?? ''],
    ['Event', delivery.event.eventTypeId],
    ['Time', delivery.event.time.toISOString()],
    ['Summary', d.summary ?? ''],
  ].filter(([, v]) => v !== '') as [string, string][];
  const title = headline(delivery);
  return {
    subject: `[Pipewright] ${title}`,
    text: `${title}\n\n${rows.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${link}\n\nDelivery ${delivery.deliveryId} (rule ${delivery.ruleName})\n`,
    html:
      `<h2>${escapeHtml(title)}</h2><table>${rows.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>` +
      `<p><a href="${escapeHtml(link)}">View execution</a></p><p><small>Delivery ${escapeHtml(delivery.deliveryId)} (rule ${escapeHtml(delivery.ruleName)})</small></p>`,
  };
}
