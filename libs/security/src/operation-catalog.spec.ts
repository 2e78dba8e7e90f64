import { loadSync } from '@grpc/proto-loader';
import { protoFiles, protoLoaderOptions } from '@pipewright/contracts';
import { operationCatalog, resourceOf } from './operation-catalog';
import { authorize, RoleBinding, rolePermissions } from './policy';

// The operations the protos define, as Nest serves them: the catalog must name each one.
function protoOperations(): string[] {
  const operations: string[] = [];
  for (const { package: pkg, service, protoPath } of Object.values(protoFiles)) {
    const definition = loadSync([...protoPath], protoLoaderOptions)[`${pkg}.${service}`] as unknown as Record<string, unknown>;
    for (const method of Object.keys(definition)) operations.push(`${service}/${method}`);
  }
  return operations;
}

describe('operation catalog', () => {
  it.each(protoOperations())('has a policy for %s', (operation) => {
    expect(operationCatalog[operation]).toBeDefined();
  });

  it('names no operation the protos do not define', () => {
    expect(Object.keys(operationCatalog).filter((op) => !protoOperations().includes(op))).toEqual([]);
  });

  it('gives every scoped operation a field that names its resource', () => {
    const unlocated = Object.entries(operationCatalog).filter(([, p]) => (p.scope === 'team' || p.scope === 'pipeline') && !p.fields?.length);

    expect(unlocated).toEqual([]);
  });

  it('reads the pipeline out of an ARN, a declaration document, or a nested field', () => {
    const parse = (text: string) => JSON.parse(text);

    expect(resourceOf(operationCatalog['PipelineService/TagResource'], { resourceArn: 'arn:pipewright:codepipeline:::shop' }, parse)).toEqual({ pipeline: 'shop' });
    expect(resourceOf(operationCatalog['PipelineService/UpdatePipeline'], { pipelineDocument: '{"pipeline":{"name":"shop"}}' }, parse)).toEqual({ pipeline: 'shop' });
    expect(resourceOf(operationCatalog['PipelineService/UpdatePipeline'], { pipelineDocument: 'not json' }, parse)).toEqual({});
    expect(resourceOf(operationCatalog['IdentityService/PutRoleBinding'], { binding: { team: 'payments' } }, parse)).toEqual({ team: 'payments' });
    expect(resourceOf(operationCatalog['NotificationService/CreateNotificationRule'], { rule: { pipelines: ['shop'] } }, parse)).toEqual({ pipeline: 'shop' });
    expect(resourceOf(operationCatalog['NotificationService/CreateNotificationRule'], { rule: { pipelines: ['shop', 'cart'] } }, parse)).toEqual({});
  });
});

describe('policy', () => {
  const ada = { kind: 'user' as const, subject: 'ada' };
  const bind = (role: RoleBinding['role'], team = 'payments', pipeline?: string): RoleBinding[] => [{ subject: 'ada', team, pipeline, role }];

  it('given a viewer of the owning team, when it reads, then it is allowed, and when it starts an execution, then it is denied naming the roles that may', () => {
    expect(authorize(ada, bind('viewer'), 'GetPipeline', { scope: 'pipeline', permission: 'pipeline.read' }, { pipeline: 'shop', team: 'payments' })).toEqual({ allowed: true });
    const denied = authorize(ada, bind('viewer'), 'StartPipelineExecution', { scope: 'pipeline', permission: 'execution.operate' }, { pipeline: 'shop', team: 'payments' });

    expect(denied).toEqual({ allowed: false, message: expect.stringContaining('execution.operate (role operator, admin)') });
  });

  it('given an admin of another team, then nothing on the pipeline is allowed', () => {
    for (const permission of rolePermissions.admin) {
      expect(authorize(ada, bind('admin', 'search'), 'op', { scope: 'pipeline', permission }, { pipeline: 'shop', team: 'payments' }).allowed).toBe(false);
    }
  });

  it('given a binding on one pipeline, then it applies to that pipeline only', () => {
    const bindings = bind('approver', 'payments', 'shop');

    expect(authorize(ada, bindings, 'PutApprovalResult', { scope: 'pipeline', permission: 'approval.decide' }, { pipeline: 'shop', team: 'payments' }).allowed).toBe(true);
    expect(authorize(ada, bindings, 'PutApprovalResult', { scope: 'pipeline', permission: 'approval.decide' }, { pipeline: 'cart', team: 'payments' }).allowed).toBe(false);
  });

  it('given an unknown pipeline, then only a system administrator is allowed', () => {
    expect(authorize(ada, bind('admin'), 'GetPipeline', { scope: 'pipeline', permission: 'pipeline.read' }, { pipeline: 'ghost' }).allowed).toBe(false);
    expect(authorize(ada, bind('admin', '*'), 'GetPipeline', { scope: 'pipeline', permission: 'pipeline.read' }, { pipeline: 'ghost' }).allowed).toBe(true);
  });

  it('given a system-scoped operation, then a team admin is denied and a system worker may take jobs', () => {
    expect(authorize(ada, bind('admin'), 'PollForJobs', { scope: 'system', permission: 'job.work' }, {}).allowed).toBe(false);
    expect(authorize(ada, bind('worker', '*'), 'PollForJobs', { scope: 'system', permission: 'job.work' }, {}).allowed).toBe(true);
  });
});
