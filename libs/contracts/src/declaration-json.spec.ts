import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelineV1 } from './index';

// The corpus of real CodePipeline declarations (shared/ sits beside the repository).
const corpus = join(__dirname, '..', '..', '..', '..', 'shared', 'corpus', 'codepipeline');
const validFiles = readdirSync(corpus).filter((f) => f.endsWith('.json') && !f.includes('INVALID'));

/**
 * proto3 JSON (and so ts-proto's toJSON) omits empty repeated and map fields, and CodePipeline
 * reads `[]`, `{}` and an absent key alike; both sides drop them before comparing. Nothing else
 * is normalised: every other key and value must come back as written.
 */
function withoutEmpties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpties);
  if (value !== null && typeof value === 'object') {
    const kept: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      const normalised = withoutEmpties(inner);
      const empty =
        (Array.isArray(normalised) && normalised.length === 0) ||
        (normalised !== null && typeof normalised === 'object' && Object.keys(normalised).length === 0);
      if (!empty) kept[key] = normalised;
    }
    return kept;
  }
  return value;
}

describe('PipelineDeclaration proto3 JSON is CodePipeline pipeline JSON', () => {
  it('has a corpus to read', () => {
    expect(validFiles.length).toBeGreaterThan(20);
  });

  it.each(validFiles)('%s reads back equal through fromJSON/toJSON', (file) => {
    const document = JSON.parse(readFileSync(join(corpus, file), 'utf8'));
    const pipeline = document.pipeline ?? document;

    const roundTripped = pipelineV1.PipelineDeclaration.toJSON(pipelineV1.PipelineDeclaration.fromJSON(pipeline));

    expect(withoutEmpties(roundTripped)).toEqual(withoutEmpties(pipeline));
  });

  it.each(validFiles)('%s survives binary encode/decode unchanged', (file) => {
    const document = JSON.parse(readFileSync(join(corpus, file), 'utf8'));
    const message = pipelineV1.PipelineDeclaration.fromJSON(document.pipeline ?? document);

    const bytes = pipelineV1.PipelineDeclaration.encode(message).finish();

    expect(pipelineV1.PipelineDeclaration.decode(bytes)).toEqual(message);
  });

  it('keeps every field of the declaration, Pipewright extension and presence included', () => {
    const pipeline = {
      name: 'all-fields',
      roleArn: 'arn:aws:iam::123456789012:role/pipeline',
      artifactStore: { type: 'S3', location: 'bucket', encryptionKey: { id: 'alias/key', type: 'KMS' } },
      artifactStores: { 'eu-west-1': { type: 'S3', location: 'bucket-eu' } },
      version: 3,
      executionMode: 'QUEUED',
      pipelineType: 'V2',
      variables: [{ name: 'Env', defaultValue: '', description: 'target' }, { name: 'NoDefault' }],
      triggers: [
        {
          providerType: 'CodeStarSourceConnection',
          gitConfiguration: {
            sourceActionName: 'Source',
            push: [{ tags: { includes: ['v*'] }, branches: { includes: ['main'], excludes: ['x'] }, filePaths: { excludes: ['docs/**'] } }],
            pullRequest: [{ events: ['OPEN', 'UPDATED'], branches: { includes: ['*'] }, filePaths: { includes: ['src/**'] } }],
          },
        },
      ],
      stages: [
        {
          name: 'Source',
          blockers: [{ name: 'nightly', type: 'Schedule' }],
          actions: [
            {
              name: 'Source',
              actionTypeId: { category: 'Source', owner: 'AWS', provider: 'CodeStarSourceConnection', version: '1' },
              runOrder: 1,
              configuration: { BranchName: 'main', FullRepositoryId: 'o/r' },
              outputArtifacts: [{ name: 'Src', files: ['**/*'] }],
              namespace: 'SourceVariables',
              region: 'eu-west-1',
              roleArn: 'arn:aws:iam::123456789012:role/action',
              timeoutInMinutes: 0,
            },
          ],
        },
        {
          name: 'Build',
          onFailure: {
            result: 'RETRY',
            retryConfiguration: { retryMode: 'FAILED_ACTIONS' },
            conditions: [{ result: 'FAIL', rules: [{ name: 'r', ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'DeploymentWindow', version: '1' }, configuration: { Cron: '* * *' }, commands: ['true'], inputArtifacts: [{ name: 'Src' }], roleArn: 'arn:r', region: 'us-east-1', timeoutInMinutes: 5 }] }],
          },
          onSuccess: { conditions: [{ result: 'ROLLBACK', rules: [] }] },
          beforeEntry: { conditions: [{ result: 'SKIP' }] },
          actions: [
            {
              name: 'Build',
              actionTypeId: { category: 'Compute', owner: 'AWS', provider: 'Commands', version: '1' },
              runOrder: 2,
              commands: ['npm ci', 'npm test'],
              inputArtifacts: [{ name: 'Src' }],
              outputVariables: ['VERSION'],
              environmentVariables: [{ name: 'TOKEN', value: 'tok', type: 'SECRETS_MANAGER' }],
              retryPolicy: { maxAttempts: 3, backoffSeconds: 10, backoffMultiplier: 2.5 },
            },
          ],
        },
      ],
    };

    const roundTripped = pipelineV1.PipelineDeclaration.toJSON(pipelineV1.PipelineDeclaration.fromJSON(pipeline));

    // `timeoutInMinutes: 0` and `defaultValue: ''` are present values (optional fields), kept.
    expect(withoutEmpties(roundTripped)).toEqual(withoutEmpties(pipeline));
    expect(roundTripped).toMatchObject({ variables: [{ defaultValue: '' }, { name: 'NoDefault' }] });
    expect((roundTripped as { variables: object[] }).variables[1]).not.toHaveProperty('defaultValue');
  });

  it('keeps absent optional numbers absent rather than zero', () => {
    const message = pipelineV1.PipelineDeclaration.fromJSON({
      name: 'p',
      stages: [{ name: 'S', actions: [{ name: 'a', actionTypeId: { category: 'Source', owner: 'AWS', provider: 'S3', version: '1' } }] }],
    });

    expect(message.version).toBeUndefined();
    expect(message.stages[0].actions[0].runOrder).toBeUndefined();
    expect(message.stages[0].actions[0].timeoutInMinutes).toBeUndefined();
  });
});
