import 'reflect-metadata';
import { DynamicModule, Global, INestApplication, LoggerService, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { dirname, join } from 'node:path';
import { createLogger, JsonNestLogger } from '@pipewright/telemetry';
import { grpcTransportOptions, ServiceName as ContractServiceName } from '@pipewright/contracts';
import { intEnv, serviceEnvName, ServiceName, servicePort } from './config';
import { GrpcErrorFilter } from './grpc-errors';
import { HealthController, HealthRegistry } from './health';
import { HttpHealthController } from './http-health';
import { securityConfig } from '@pipewright/security';
import { AccessDecider, AuditResultInterceptor, GrpcAuthGuard, providedLocalAccessDecider, RemoteAccessDecider } from './auth-guard';
import { useServiceIdentity } from './service-credentials';
import { serverCredentials } from './tls';

export interface ServiceDefinition {
  name: ServiceName;
  module: Type<unknown> | DynamicModule;
  /** The gRPC services of @pipewright/contracts this process serves (health is always served). */
  serves?: ContractServiceName[];
  logger?: LoggerService;
  /** Milliseconds SIGTERM waits for in-flight work before exiting anyway. */
  shutdownGraceMs?: number;
}

export const healthProtoPath = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto/health/v1/health.proto');


@Global()
@Module({ providers: [HealthRegistry], exports: [HealthRegistry], controllers: [HealthController, HttpHealthController] })
class HealthModule {}

export function httpPort(name: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  return intEnv(serviceEnvName(name, 'HTTP_PORT'), servicePort(name, env) + 1000, env);
}

export interface RunningService {
  app: INestApplication;
  grpcPort: number;
  httpPort: number;
  health: HealthRegistry;
  stop(): Promise<void>;
}

/**
 * Starts one Pipewright service: its module, the standard grpc.health.v1 service and its own gRPC
 * API on its port, HTTP liveness/readiness beside it, JSON logs, and a clean exit on SIGTERM/SIGINT.
 */
export async function runService(def: ServiceDefinition): Promise<RunningService> {
  const logger = def.logger ?? new JsonNestLogger(createLogger(def.name));
  // Plaintext, or mutual TLS when PIPEWRIGHT_TLS_* are set: a partial setting fails here, before anything connects.
  const credentials = serverCredentials();
  // Node prints process warnings as plain text on stderr; every line a service writes is JSON.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(`${warning.name}: ${warning.message}`, 'process'));
  @Module({ imports: [HealthModule, def.module] })
  class RootModule {}

  // rawBody: signed webhooks are verified over the exact bytes received.
  const app = await NestFactory.create<NestExpressApplication>(RootModule, { logger, bufferLogs: true, abortOnError: false, rawBody: true });
  app.useBodyParser('json', { limit: '25mb' });
  app.useBodyParser('urlencoded', { limit: '25mb', extended: true });
  // Before connectMicroservice: the gRPC side inherits the app's config as it is at that moment.
  app.useGlobalFilters(new GrpcErrorFilter());
  // Authentication and authorization of every gRPC call (docs/security.md): the service's own
  // decider when it has one (pipeline-definition), else IdentityService over gRPC.
  const security = securityConfig();
  useServiceIdentity(def.name);
  let decider: AccessDecider | undefined;
  const resolveDecider = (): AccessDecider => {
    decider ??= providedLocalAccessDecider() ?? new RemoteAccessDecider(security.decisionCacheMs);
    return decider;
  };
  app.useGlobalGuards(new GrpcAuthGuard(security, resolveDecider, def.name));
  app.useGlobalInterceptors(new AuditResultInterceptor(resolveDecider));
  const grpcPort = servicePort(def.name);
  const transport = grpcTransportOptions(...(def.serves ?? []));
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.GRPC,
      options: {
        url: `0.0.0.0:${grpcPort}`,
        credentials,
        package: ['grpc.health.v1', ...transport.package],
        protoPath: [healthProtoPath, ...transport.protoPath],
        loader: transport.loader,
        gracefulShutdown: true,
        maxReceiveMessageLength: 16 * 1024 * 1024,
      },
    },
    { inheritAppConfig: true },
  );
  const health = app.get(HealthRegistry);
  await app.startAllMicroservices();
  const port = httpPort(def.name);
  await app.listen(port, '0.0.0.0');
  health.set('', 'SERVING');
  logger.log(`${def.name} serving gRPC on :${grpcPort}, HTTP health on :${port}`, 'bootstrap');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      health.set('', 'NOT_SERVING');
      logger.log(`${def.name} shutting down`, 'bootstrap');
      await app.close();
      if (decider instanceof RemoteAccessDecider) decider.close();
      logger.log(`${def.name} stopped`, 'bootstrap');
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    logger.log(`received ${signal}`, 'bootstrap');
    const grace = setTimeout(() => {
      logger.error(`${def.name} did not stop within ${def.shutdownGraceMs ?? 15000} ms; exiting`, undefined, 'bootstrap');
      process.exit(1);
    }, def.shutdownGraceMs ?? 15000);
    grace.unref();
    stop().then(
      () => process.exit(0),
      (error) => {
        logger.error(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}`, undefined, 'bootstrap');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return { app, grpcPort, httpPort: port, health, stop };
}
