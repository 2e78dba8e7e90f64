import { Controller, Injectable } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { BehaviorSubject, Observable, distinctUntilChanged, map } from 'rxjs';

export type ServingStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN';

/**
 * The statuses the standard grpc.health.v1 service reports: '' is the process as a whole, and each
 * dependency a service registers (e.g. 'postgres', 'kafka') or its own API names can be asked alone.
 * '' is SERVING only while the process says so and every registered dependency is SERVING, so a
 * client or probe asking about the service sees a database or broker it cannot reach.
 */
@Injectable()
export class HealthRegistry {
  private readonly statuses = new Map<string, BehaviorSubject<ServingStatus>>([['', new BehaviorSubject<ServingStatus>('NOT_SERVING')]]);
  /** What the process itself says ('' before dependencies are counted in). */
  private own: ServingStatus = 'NOT_SERVING';

  set(service: string, status: ServingStatus): void {
    if (service === '') this.own = status;
    else {
      const subject = this.statuses.get(service);
      if (subject) subject.next(status);
      else this.statuses.set(service, new BehaviorSubject(status));
    }
    this.statuses.get('')!.next(this.overall());
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service)?.value;
  }

  all(): Record<string, ServingStatus> {
    return Object.fromEntries([...this.statuses].map(([name, s]) => [name, s.value]));
  }

  watch(service: string): Observable<ServingStatus | 'SERVICE_UNKNOWN'> {
    const subject = this.statuses.get(service);
    if (!subject) return new BehaviorSubject<'SERVICE_UNKNOWN'>('SERVICE_UNKNOWN');
    return subject.pipe(distinctUntilChanged());
  }

  private overall(): ServingStatus {
    if (this.own !== 'SERVING') return this.own;
    for (const [name, subject] of this.statuses) if (name !== '' && subject.value !== 'SERVING') return 'NOT_SERVING';
    return 'SERVING';
  }
}

interface HealthCheckRequest {
  service?: string;
}

@Controller()
export class HealthController {
  constructor(private readonly registry: HealthRegistry) {}

  @GrpcMethod('Health', 'Check')
  check(request: HealthCheckRequest) {
    const status = this.registry.get(request.service ?? '');
    if (status === undefined) throw new RpcException({ code: GrpcStatus.NOT_FOUND, message: `unknown service "${request.service}"` });
    return { status };
  }

  @GrpcMethod('Health', 'List')
  list() {
    const statuses = Object.fromEntries(Object.entries(this.registry.all()).map(([name, status]) => [name, { status }]));
    return { statuses };
  }

  /** Server streaming: Nest writes every value of the returned observable to the call. */
  @GrpcMethod('Health', 'Watch')
  watch(request: HealthCheckRequest): Observable<{ status: string }> {
    return this.registry.watch(request.service ?? '').pipe(map((status) => ({ status })));
  }
}
