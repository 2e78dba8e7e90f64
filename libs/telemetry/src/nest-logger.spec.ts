import { createLogger } from './logger';
import { JsonNestLogger } from './nest-logger';

function setup(level = 'trace') {
  let written = '';
  const logger = createLogger('notification', { level, destination: { write: (chunk: string) => void (written += chunk) } });
  const lines = () => written.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { nest: new JsonNestLogger(logger), lines };
}

describe('JsonNestLogger', () => {
  it('maps Nest levels to JSON log levels and keeps the context', () => {
    const { nest, lines } = setup();
    nest.log('Nest application successfully started', 'NestApplication');
    nest.warn('slow', 'Kafka');
    nest.debug('detail', 'Kafka');
    nest.verbose('chatter', 'Kafka');
    nest.fatal('dying', 'Main');
    nest.error('failed', 'ExceptionHandler');

    expect(lines().map(({ level, msg, context }) => ({ level, msg, context }))).toEqual([
      { level: 'info', msg: 'Nest application successfully started', context: 'NestApplication' },
      { level: 'warn', msg: 'slow', context: 'Kafka' },
      { level: 'debug', msg: 'detail', context: 'Kafka' },
      { level: 'trace', msg: 'chatter', context: 'Kafka' },
      { level: 'fatal', msg: 'dying', context: 'Main' },
      { level: 'error', msg: 'failed', context: 'ExceptionHandler' },
    ]);
    expect(lines().every((line) => line.service === 'notification')).toBe(true);
  });

  it('reads a stack and a context on error, as Nest passes them', () => {
    const { nest, lines } = setup();
    const stack = new Error('boom').stack as string;
    nest.error('boom', stack, 'ExceptionsHandler');
    nest.error('boom again', stack);
    const [withContext, withoutContext] = lines();
    expect(withContext).toMatchObject({ level: 'error', msg: 'boom', stack, context: 'ExceptionsHandler' });
    expect(withoutContext).toMatchObject({ level: 'error', msg: 'boom again', stack });
    expect(withoutContext).not.toHaveProperty('context');
  });

  it('logs Error and object messages as fields, not as text', () => {
    const { nest, lines } = setup();
    nest.error(new Error('bad input'), 'Validation');
    nest.log({ pipelineName: 'release', password: 'hunter2' }, 'Audit');
    const [error, object] = lines();
    expect(error).toMatchObject({ level: 'error', msg: 'bad input', context: 'Validation', err: { message: 'bad input', type: 'Error' } });
    expect(object).toMatchObject({ level: 'info', context: 'Audit', data: { pipelineName: 'release', password: '[REDACTED]' } });
  });

  it('setLogLevels enables the most verbose level asked for', () => {
    const { nest, lines } = setup('info');
    nest.setLogLevels(['error', 'warn']);
    nest.log('hidden');
    nest.warn('shown');
    nest.setLogLevels(['verbose', 'error']);
    nest.verbose('now shown');
    expect(lines().map((line) => line.msg)).toEqual(['shown', 'now shown']);
  });
});
