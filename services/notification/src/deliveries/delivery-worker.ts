import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { contextFromTraceHeaders, inSpan, PipewrightAttributes } from '@pipewright/telemetry';
import { NOTIFICATION_CONFIG, NotificationConfig } from '../config';
import { Signals } from '../events/signals';
import { TargetSender } from '../targets/target-sender';
import { afterAttempt, ClaimedDelivery } from './delivery';
import { DeliveryRepository } from './delivery-repository';
import { countDeliveryAttempt } from './delivery-metrics';

/**
 * Sends due deliveries, each on its own with its own timeout, so a slow or dead target holds up
 * nothing else; a free slot is refilled at once. Leases make this safe with several replicas.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('delivery-worker');
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private loop?: Promise<void>;

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly sender: TargetSender,
    private readonly signals: Signals,
    @Inject(NOTIFICATION_CONFIG) private readonly config: NotificationConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    // Sends in flight end within their timeout; an unfinished one is sent again after its lease.
    await Promise.allSettled([...this.inFlight]);
  }

  /** Long enough for a send and its bookkeeping; after it, another worker may try the delivery again. */
  private get leaseMs(): number {
    return this.config.targetTimeoutMs + 5_000;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const free = this.config.concurrency - this.inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.repository.claimDue(free, this.leaseMs);
        } catch (error) {
          this.logger.error(`claiming due deliveries failed: ${(error as Error).message}`);
        }
      }
      for (const delivery of claimed) this.track(this.attempt(delivery));
      if (claimed.length === 0 || claimed.length === free) await this.signals.wait('deliveries', this.config.pollIntervalMs, signal);
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => {
      this.inFlight.delete(work);
      this.signals.notify('deliveries');
    });
  }

  /** Each attempt is a span in the trace of the event it delivers (a child of the stored context). */
  private attempt(delivery: ClaimedDelivery): Promise<void> {
    const attributes = {
      [PipewrightAttributes.deliveryId]: delivery.deliveryId,
      [PipewrightAttributes.executionId]: delivery.executionId,
      [PipewrightAttributes.pipeline]: delivery.pipeline,
      'pipewright.notification.rule': delivery.ruleName,
      'pipewright.notification.target': delivery.target.type,
      'pipewright.delivery.attempt': delivery.attempts,
    };
    return inSpan(`notification deliver ${delivery.target.type}`, { parent: contextFromTraceHeaders(delivery.trace), attributes }, () => this.deliver(delivery));
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    try {
      const outcome = await this.sender.send(delivery, new Date());
      const next = afterAttempt(outcome, delivery.attempts, this.config, new Date(), Math.random());
      await this.repository.finish(delivery, outcome, next);
      countDeliveryAttempt(delivery.target.type, outcome.succeeded, next.status);
      const log = { deliveryId: delivery.deliveryId, rule: delivery.ruleName, target: delivery.target.type, attempt: delivery.attempts, status: next.status };
      if (outcome.succeeded) this.logger.log(`delivered ${JSON.stringify(log)}`);
      else this.logger.warn(`delivery attempt failed: ${outcome.error ?? 'unknown'} ${JSON.stringify(log)}`);
    } catch (error) {
      // Bookkeeping failed (database down): the lease expires and the delivery is tried again.
      this.logger.error(`delivery ${delivery.deliveryId} attempt ${delivery.attempts} not recorded: ${(error as Error).message}`);
    }
  }
}
