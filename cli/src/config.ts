import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { serviceAddress, serviceEnvName, ServiceName } from '@pipewright/service-kit';

/**
 * Where each service is, by precedence: --endpoint service=host:port flags, then the environment
 * (PIPEWRIGHT_<SERVICE>_ADDRESS), then a config file (--config, PIPEWRIGHT_CONFIG,
 * ./pipewright.json or ~/.config/pipewright/config.json: {"addresses": {"orchestrator": "host:port"}}),
 * then the local default ports.
 */
export function resolveAddresses(flags: string[], configPath?: string, env: NodeJS.ProcessEnv = process.env): (service: ServiceName) => string {
  const fromFlags = new Map<string, string>();
  for (const flag of flags) {
    const m = /^([a-z-]+)=(.+)$/.exec(flag);
    if (!m) throw new UsageError(`--endpoint takes service=host:port, got "${flag}"`);
    fromFlags.set(m[1], m[2]);
  }
  const file = [configPath, env.PIPEWRIGHT_CONFIG, join(process.cwd(), 'pipewright.json'), join(homedir(), '.config/pipewright/config.json')].find(
    (p): p is string => !!p && existsSync(p),
  );
  if (configPath && !existsSync(configPath)) throw new UsageError(`config file ${configPath} does not exist`);
  let fromFile: Record<string, string> = {};
  if (file) {
    try {
      fromFile = (JSON.parse(readFileSync(file, 'utf8')) as { addresses?: Record<string, string> }).addresses ?? {};
    } catch (error) {
      throw new UsageError(`config file ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return (service) => fromFlags.get(service) ?? env[serviceEnvName(service, 'ADDRESS')] ?? fromFile[service] ?? serviceAddress(service, env);
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends Error {}
