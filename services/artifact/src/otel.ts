// Imported first by main.ts: the SDK must patch grpc, pg and kafkajs before anything loads them.
import { serviceMetricsEnv, startTelemetry } from '@pipewright/telemetry';

startTelemetry({ serviceName: 'artifact', env: serviceMetricsEnv('artifact') });
