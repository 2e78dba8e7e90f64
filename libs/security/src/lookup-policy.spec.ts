import { operationCatalog, resourceOf } from './operation-catalog';
import { Identity } from './identity';
import { authorize, Resource, RoleBinding } from './policy';

// Operations whose request names only an id: the serving service looks up the pipeline (docs/security.md).
const decide = (identity: Identity, bindings: RoleBinding[], operation: string, resource: Resource) => authorize(identity, bindings, operation, operationCatalog[operation], resource);
const member = (role: RoleBinding['role'], team = 'payments'): [Identity, RoleBinding[]] => [{ kind: 'user', subject: 'ada' }, [{ subject: 'ada', team, role }]];
const ofPayments: Resource = { pipeline: 'shop', team: 'payments' };
// What a lookup of an unknown id resolves to: no pipeline, hence no owner.
const unknown: Resource = {};

describe('artifact, job log and delivery operations decided on the looked-up pipeline', () => {
  it.each(['ArtifactService/DownloadArtifact', 'ArtifactService/StatArtifact', 'ArtifactService/ListArtifacts', 'JobLogService/GetJobLogs'])(
    'given a viewer of the owning team, when it calls %s, then it is allowed; given one of another team, then it is denied',
    (operation) => {
      expect(decide(...member('viewer'), operation, ofPayments)).toEqual({ allowed: true });
      expect(decide(...member('viewer', 'search'), operation, ofPayments)).toEqual({ allowed: false, message: expect.stringContaining('on what the request names') });
    },
  );

  it('given an unknown id, then a team member is denied in the same words as for another team\'s id, and a system-wide binding is allowed (to get NOT_FOUND)', () => {
    const ofAnother = decide(...member('admin', 'search'), 'ArtifactService/DownloadArtifact', ofPayments);
    const ofNobody = decide(...member('admin', 'search'), 'ArtifactService/DownloadArtifact', unknown);

    expect(ofNobody).toEqual(ofAnother);
    expect(ofNobody).toEqual({ allowed: false, message: 'user ada may not call ArtifactService/DownloadArtifact on what the request names: it needs artifact.read (role viewer, operator, approver, admin, worker)' });
    expect(decide(...member('worker', '*'), 'ArtifactService/DownloadArtifact', unknown)).toEqual({ allowed: true });
    expect(decide(...member('viewer', '*'), 'JobLogService/GetJobLogs', unknown)).toEqual({ allowed: true });
  });

  it('given the system-wide worker role, then it moves every pipeline\'s artifacts but reads no log', () => {
    for (const operation of ['ArtifactService/UploadArtifact', 'ArtifactService/DownloadArtifact', 'ArtifactService/DeleteArtifact']) {
      expect(decide(...member('worker', '*'), operation, ofPayments)).toEqual({ allowed: true });
    }
    expect(decide(...member('worker', '*'), 'JobLogService/GetJobLogs', ofPayments).allowed).toBe(false);
  });

  it('given a viewer, then it may not write artifacts; a worker or admin of the team may', () => {
    expect(decide(...member('viewer'), 'ArtifactService/DeleteArtifact', ofPayments)).toEqual({ allowed: false, message: expect.stringContaining('artifact.write (role admin, worker)') });
    expect(decide(...member('worker'), 'ArtifactService/DeleteArtifact', ofPayments)).toEqual({ allowed: true });
    expect(decide(...member('admin'), 'ArtifactService/UploadArtifact', ofPayments)).toEqual({ allowed: true });
  });

  it('given notification rule and delivery operations, then a team admin is allowed on its pipeline only and a viewer nowhere', () => {
    for (const operation of ['NotificationService/DeleteNotificationRule', 'NotificationService/ListDeliveries', 'NotificationService/RedeliverNotification', 'NotificationService/UpdateNotificationRule']) {
      expect(decide(...member('admin'), operation, ofPayments)).toEqual({ allowed: true });
      expect(decide(...member('admin', 'search'), operation, ofPayments).allowed).toBe(false);
      expect(decide(...member('admin'), operation, unknown).allowed).toBe(false);
      expect(decide(...member('viewer'), operation, ofPayments).allowed).toBe(false);
    }
  });
});

describe('a job token on artifacts (own-pipeline)', () => {
  const job: Identity = { kind: 'job', subject: 'job:j1', job: { jobId: 'j1', nonce: 'n1', pipeline: 'shop', executionId: 'e1' } };

  it('given an artifact of its own pipeline, then every artifact operation is allowed', () => {
    for (const method of ['UploadArtifact', 'DownloadArtifact', 'StatArtifact', 'ListArtifacts', 'DeleteArtifact']) {
      expect(decide(job, [], `ArtifactService/${method}`, ofPayments)).toEqual({ allowed: true });
    }
  });

  it('given another pipeline\'s artifact or an unknown one, then it is denied naming its own pipeline', () => {
    expect(decide(job, [], 'ArtifactService/DownloadArtifact', { pipeline: 'cart', team: 'payments' })).toEqual({ allowed: false, message: expect.stringContaining('scoped to pipeline "shop"') });
    expect(decide(job, [], 'ArtifactService/DownloadArtifact', unknown).allowed).toBe(false);
  });

  it('given its own pipeline\'s job log or rules, then it is denied: a job token reaches artifacts only', () => {
    expect(decide(job, [], 'JobLogService/GetJobLogs', ofPayments).allowed).toBe(false);
    expect(decide(job, [], 'NotificationService/DeleteNotificationRule', ofPayments).allowed).toBe(false);
  });
});

describe('the catalog marks where a looked-up resource is', () => {
  it('reads an upload\'s pipeline from its first message, and nothing from a request that names only an id', () => {
    const parse = (text: string) => JSON.parse(text);

    expect(resourceOf(operationCatalog['ArtifactService/UploadArtifact'], { metadata: { pipelineName: 'shop' } }, parse)).toEqual({ pipeline: 'shop' });
    expect(resourceOf(operationCatalog['ArtifactService/DownloadArtifact'], { artifactId: 'a1', pipelineName: 'shop' }, parse)).toEqual({});
  });
});
