/** The five services, their default gRPC ports, and how each is overridden by environment. */
export const serviceDefaults = {
  'pipeline-definition': 7051,
  orchestrator: 7052,
  artifact: 7053,
  'job-worker': 7054,
  notification: 7055,
} as const;

export type ServiceName = keyof typeof serviceDefaults;

/** A service's own environment variable: PIPEWRIGHT_<SERVICE>_<suffix> (e.g. PORT, HTTP_PORT, ADDRESS). */
export function serviceEnvName(service: ServiceName, suffix: string): string {
  return `PIPEWRIGHT_${service.toUpperCase().replace(/-/g, '_')}_${suffix}`;
}

export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is required`);
  return value;
}

export function intEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) throw new Error(`environment variable ${name} must be an integer, got "${raw}"`);
  return value;
}

/** Port a service listens on: PIPEWRIGHT_<SERVICE>_PORT, else its default. */
export function servicePort(service: ServiceName, env: NodeJS.ProcessEnv = process.env): number {
  return intEnv(serviceEnvName(service, 'PORT'), serviceDefaults[service], env);
}

/** Where a client reaches a service: PIPEWRIGHT_<SERVICE>_ADDRESS, else loopback on its port. */
export function serviceAddress(service: ServiceName, env: NodeJS.ProcessEnv = process.env): string {
  return env[serviceEnvName(service, 'ADDRESS')] || `127.0.0.1:${servicePort(service, env)}`;
}

export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
}

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/pipewright';
}
