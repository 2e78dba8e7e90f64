import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata, type OptionalFactoryDependency } from '@nestjs/common';
import { KafkaMessaging, type MessagingOptions } from './kafka-messaging';

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingModuleAsyncOptions {
  imports?: ModuleMetadata['imports'];
  inject?: (InjectionToken | OptionalFactoryDependency)[];
  useFactory: (...args: any[]) => MessagingOptions | Promise<MessagingOptions>;
}

/**
 * Provides a started KafkaMessaging (inject it by its class) to the whole application.
 * The app fails to bootstrap when Kafka stays unreachable; app.close() shuts it down gracefully.
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return MessagingModule.create({ useFactory: () => options });
  }

  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return MessagingModule.create(options);
  }

  private static create(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: MESSAGING_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        {
          provide: KafkaMessaging,
          inject: [MESSAGING_OPTIONS],
          useFactory: async (messagingOptions: MessagingOptions) => {
            const messaging = new KafkaMessaging(messagingOptions);
            await messaging.start();
            return messaging;
          },
        },
      ],
      exports: [KafkaMessaging],
    };
  }
}
