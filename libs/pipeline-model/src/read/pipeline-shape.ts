/** CodePipeline's PipelineDeclaration as a Shape (API reference field names and enumerations). */
import { arrayOf, integer, mapOf, number, object, required, Shape, string } from './shape';

export const ACTION_CATEGORIES = ['Source', 'Build', 'Test', 'Deploy', 'Approval', 'Invoke', 'Compute'] as const;
export const ACTION_OWNERS = ['AWS', 'ThirdParty', 'Custom', 'Pipewright'] as const;
export const EXECUTION_MODES = ['SUPERSEDED', 'QUEUED', 'PARALLEL'] as const;
export const PIPELINE_TYPES = ['V1', 'V2'] as const;
export const CONDITION_RESULTS = ['ROLLBACK', 'FAIL', 'RETRY', 'SKIP'] as const;

const inputArtifact = object({ name: required(string()) });
const outputArtifact = object({ name: required(string()), files: arrayOf(string()) });
const configuration = mapOf(string());

const encryptionKey = object({ id: required(string()), type: required(string(['KMS'])) });
const artifactStore = object({ type: required(string(['S3'])), location: required(string()), encryptionKey });

const actionTypeId = object({
  category: required(string(ACTION_CATEGORIES)),
  owner: required(string(ACTION_OWNERS)),
  provider: required(string()),
  version: required(string()),
});

const retryPolicy = object({ maxAttempts: required(integer), backoffSeconds: required(number), backoffMultiplier: number });

const action = object({
  name: required(string()),
  actionTypeId: required(actionTypeId),
  runOrder: integer,
  configuration,
  commands: arrayOf(string()),
  outputArtifacts: arrayOf(outputArtifact),
  inputArtifacts: arrayOf(inputArtifact),
  outputVariables: arrayOf(string()),
  roleArn: string(),
  region: string(),
  namespace: string(),
  timeoutInMinutes: integer,
  environmentVariables: arrayOf(
    object({ name: required(string()), value: required(string()), type: string(['PLAINTEXT', 'SECRETS_MANAGER']) }),
  ),
  retryPolicy,
});

const rule = object({
  name: required(string()),
  ruleTypeId: required(object({ category: required(string(['Rule'])), owner: string(['AWS']), provider: required(string()), version: string() })),
  configuration,
  commands: arrayOf(string()),
  inputArtifacts: arrayOf(inputArtifact),
  roleArn: string(),
  region: string(),
  timeoutInMinutes: integer,
});

const condition = object({ result: string(CONDITION_RESULTS), rules: arrayOf(rule) });
const conditions = arrayOf(condition);

const stage = object({
  name: required(string()),
  blockers: arrayOf(object({ name: required(string()), type: required(string(['Schedule'])) })),
  actions: required(arrayOf(action)),
  onFailure: object({
    result: string(CONDITION_RESULTS),
    retryConfiguration: object({ retryMode: string(['ALL_ACTIONS', 'FAILED_ACTIONS']) }),
    conditions,
  }),
  onSuccess: object({ conditions: required(conditions) }),
  beforeEntry: object({ conditions: required(conditions) }),
});

const filterCriteria = object({ includes: arrayOf(string()), excludes: arrayOf(string()) });

const trigger = object({
  providerType: required(string(['CodeStarSourceConnection'])),
  gitConfiguration: required(
    object({
      sourceActionName: required(string()),
      push: arrayOf(object({ tags: filterCriteria, branches: filterCriteria, filePaths: filterCriteria })),
      pullRequest: arrayOf(
        object({ events: arrayOf(string(['OPEN', 'UPDATED', 'CLOSED'])), branches: filterCriteria, filePaths: filterCriteria }),
      ),
    }),
  ),
});

export const PIPELINE_SHAPE: Shape = object({
  name: required(string()),
  roleArn: string(),
  artifactStore,
  artifactStores: mapOf(artifactStore),
  stages: required(arrayOf(stage)),
  version: integer,
  executionMode: string(EXECUTION_MODES),
  pipelineType: string(PIPELINE_TYPES),
  variables: arrayOf(object({ name: required(string()), defaultValue: string(), description: string() })),
  triggers: arrayOf(trigger),
});

export const TAGS_SHAPE: Shape = arrayOf(object({ key: required(string()), value: required(string()) }));
