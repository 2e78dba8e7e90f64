import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { CONTENT_TYPE_JSON } from '@pipewright/messaging';
import { ServiceInfrastructure } from '@pipewright/service-kit';
import { createHmac } from 'node:crypto';
import { createTransport, Transporter } from 'nodemailer';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { AttemptOutcome, ClaimedDelivery } from '../deliveries/delivery';
import { postBounded, PostResult } from './http-post';
import { chatMessage, emailMessage, notificationBody } from './payloads';

/** Headers a webhook receiver uses to verify (signature over timestamp + "." + body) and to dedupe (delivery id). */
export const WebhookHeaders = {
  delivery: 'x-pipewright-delivery',
  timestamp: 'x-pipewright-timestamp',
  signature: 'x-pipewright-signature',
  event: 'x-pipewright-event',
} as const;

/** The signature a receiver recomputes: hex HMAC-SHA256 of `${timestamp}.${body}` with the shared secret. */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const NOTIFICATION_EVENT_TYPE = 'pipewright.notification.v1.Notification';

class SendTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Sends one delivery to its target; every failure comes back as an outcome, never as a throw. */
@Injectable()
export class TargetSender implements OnModuleDestroy {
  private mailer?: Transporter;

  constructor(
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
    private readonly infrastructure: ServiceInfrastructure,
  ) {}

  async send(delivery: ClaimedDelivery, now: Date): Promise<AttemptOutcome> {
    const started = performance.now();
    let result: PostResult;
    try {
      result = await this.sendTo(delivery, now);
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    return { succeeded: result.ok, responseCode: result.statusCode, error: result.error, latencyMs: performance.now() - started };
  }

  private async sendTo(delivery: ClaimedDelivery, now: Date): Promise<PostResult> {
    const { target } = delivery;
    const limits = { timeoutMs: this.config.targetTimeoutMs, maxResponseBytes: this.config.maxResponseBytes, allowInternal: this.config.allowPrivateTargets };
    const secret = target.secretRef ? this.config.secrets.get(target.secretRef) : undefined;
    if (target.secretRef && secret === undefined) return { ok: false, error: `no secret named "${target.secretRef}" is configured` };
    switch (target.type) {
      case 'webhook': {
        const body = JSON.stringify(notificationBody(delivery));
        const timestamp = String(Math.floor(now.getTime() / 1000));
        const headers: Record<string, string> = {
          [WebhookHeaders.delivery]: delivery.deliveryId,
          [WebhookHeaders.timestamp]: timestamp,
          [WebhookHeaders.event]: delivery.eventTypeId,
        };
        if (secret !== undefined) headers[WebhookHeaders.signature] = webhookSignature(secret, timestamp, body);
        return postBounded(target.address, body, headers, limits);
      }
      case 'chat': {
        const headers: Record<string, string> = secret !== undefined ? { authorization: `Bearer ${secret}` } : {};
        return postBounded(target.address, JSON.stringify(chatMessage(delivery, this.config.consoleUrl)), headers, limits);
      }
      case 'email': {
        const message = emailMessage(delivery, this.config.consoleUrl);
        await withTimeout(
          this.transporter().sendMail({
            from: this.config.smtpFrom,
            to: target.address,
            subject: message.subject,
            text: message.text,
            html: message.html,
            // The same Message-ID on every attempt lets mail systems drop a repeat.
            messageId: `<${delivery.deliveryId}@pipewright.notification>`,
            headers: { 'X-Pipewright-Delivery': delivery.deliveryId },
          }),
          limits.timeoutMs,
          'SMTP',
        );
        return { ok: true };
      }
      case 'kafka': {
        await withTimeout(
          this.infrastructure.messaging.publish(target.address, {
            key: delivery.event.pipeline,
            event: {
              id: delivery.deliveryId,
              type: NOTIFICATION_EVENT_TYPE,
              source: '/pipewright/notification',
              time: delivery.event.time,
              subject: delivery.event.pipeline,
              datacontenttype: CONTENT_TYPE_JSON,
              data: Buffer.from(JSON.stringify(notificationBody(delivery))),
            },
          }),
          limits.timeoutMs,
          'Kafka',
        );
        return { ok: true };
      }
    }
  }

  private transporter(): Transporter {
    if (!this.config.smtpUrl) throw new Error('no SMTP server is configured (PIPEWRIGHT_NOTIFICATION_SMTP_URL)');
    const t = this.config.targetTimeoutMs;
    const url = new URL(this.config.smtpUrl);
    const secure = url.protocol === 'smtps:';
    this.mailer ??= createTransport({
      host: url.hostname,
      port: url.port ? Number(url.port) : secure ? 465 : 587,
      secure,
      auth: url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : undefined,
      connectionTimeout: t,
      greetingTimeout: t,
      socketTimeout: t,
    });
    return this.mailer;
  }

  onModuleDestroy(): void {
    this.mailer?.close();
  }
}
