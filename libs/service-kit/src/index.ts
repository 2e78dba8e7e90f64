export * from './config';
export * from './grpc-errors';
export * from './health';
export * from './bootstrap';
export * from './service-process';
export * from './event-sourcing.module';
export * from './grpc-client';
