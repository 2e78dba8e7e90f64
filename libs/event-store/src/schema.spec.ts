import { addressOf } from './connect';
import { checkSchemaName, tables } from './schema';

describe('schema names', () => {
  it('accepts a plain lower-case identifier and qualifies the tables with it', () => {
    expect(tables('orchestrator').events).toBe('"orchestrator".events');
    expect(tables('orchestrator').outboxChannel).toBe('orchestrator_outbox');
  });
  it.each(['Orchestrator', 'a-b', 'x"; drop table y; --', '', '1abc', 'a'.repeat(64)])('refuses %j, which would be interpolated into SQL', (name) => {
    expect(() => checkSchemaName(name)).toThrow(/lower-case SQL identifier/);
  });
});

describe('addressOf', () => {
  it('names host and port, never the credentials', () => {
    expect(addressOf('postgres://svc:secret@db.internal:6543/pipewright')).toBe('db.internal:6543');
    expect(addressOf('postgres://db.internal/pipewright')).toBe('db.internal:5432');
  });
});
