import { RuleInput, urlProblem, validateRule, ValidationContext } from './rule-validation';

const context: ValidationContext = { allowPrivateTargets: false, secretNames: new Set(['hook-key']), smtpConfigured: true };
const valid: RuleInput = {
  name: 'deploys',
  pipelines: ['web'],
  eventTypeIds: ['codepipeline-pipeline-pipeline-execution-failed'],
  targets: [{ type: 'webhook', address: 'https://hooks.example.com/x', secretRef: 'hook-key' }],
};
const paths = (input: RuleInput, ctx = context) => {
  const result = validateRule(input, ctx);
  return result.ok ? [] : result.problems.map((p) => p.path);
};

describe('validateRule', () => {
  it('accepts a valid rule and fills the defaults', () => {
    const result = validateRule(valid, context);
    expect(result).toEqual({ ok: true, rule: expect.objectContaining({ status: 'ENABLED', detailType: 'FULL', pipelines: ['web'] }) });
  });

  it('reports every problem at once, each with its path', () => {
    expect(paths({ name: '', eventTypeIds: ['codepipeline-pipeline-execution-exploded'], targets: [], status: 'ON', detailType: 'ALL' })).toEqual([
      'rule.name',
      'rule.event_type_ids[0]',
      'rule.targets',
      'rule.status',
      'rule.detail_type',
    ]);
    expect(paths({ ...valid, eventTypeIds: [] })).toEqual(['rule.event_type_ids']);
  });

  it.each([
    ['no scheme', 'hooks.example.com/x'],
    ['ftp', 'ftp://hooks.example.com/x'],
    ['credentials', 'https://user:pw@hooks.example.com/x'],
    ['loopback', 'http://127.0.0.1:8080/x'],
    ['loopback spelled as a number', 'http://2130706433/x'],
    ['localhost', 'http://localhost/x'],
    ['link-local metadata', 'http://169.254.169.254/latest/meta-data'],
    ['private', 'http://10.1.2.3/x'],
    ['IPv6 loopback', 'http://[::1]/x'],
    ['IPv4-mapped IPv6', 'http://[::ffff:192.168.1.1]/x'],
  ])('refuses a webhook URL: %s', (_label, url) => {
    expect(paths({ ...valid, targets: [{ type: 'webhook', address: url }] })).toEqual(['rule.targets[0].address']);
  });

  it('allows private targets when the operator does', () => {
    expect(urlProblem('http://127.0.0.1:8080/x', true)).toBeUndefined();
    expect(urlProblem('http://127.0.0.1:8080/x', false)).toMatch(/private/);
  });

  it('checks each target by its type', () => {
    expect(
      paths({
        ...valid,
        targets: [
          { type: 'pager', address: 'x' },
          { type: 'email', address: 'not-an-address' },
          { type: 'kafka', address: 'pipewright.execution-events' },
          { type: 'kafka', address: 'bad topic!' },
          { type: 'chat', address: 'https://chat.example.com/hook', secretRef: 'missing' },
          { type: 'kafka', address: 'team.notifications', secretRef: 'hook-key' },
        ],
      }),
    ).toEqual([
      'rule.targets[0].type',
      'rule.targets[1].address',
      'rule.targets[2].address',
      'rule.targets[3].address',
      'rule.targets[4].secret_ref',
      'rule.targets[5].secret_ref',
    ]);
  });

  it('refuses email targets when no SMTP server is configured', () => {
    expect(paths({ ...valid, targets: [{ type: 'email', address: 'team@example.com' }] }, { ...context, smtpConfigured: false })).toEqual(['rule.targets[0].type']);
  });

  it('refuses the same target twice', () => {
    const target = { type: 'webhook', address: 'https://hooks.example.com/x' };
    expect(paths({ ...valid, targets: [target, target] })).toEqual(['rule.targets[1]']);
  });
});
