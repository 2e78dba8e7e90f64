/**
 * Values that only mean something on AWS (roles, regions, artifact stores, KMS keys, connection
 * ARNs) are kept as they are; a missing or malformed one, or a placeholder, is a warning.
 */
import { ArtifactStore, PipelineDeclaration } from '../declaration';
import { containsPlaceholder } from '../names';
import { at, FindingsCollector } from '../problems';
import { actionTypeKey } from '../registry/action-type';
import { EXECUTED_CATALOG_TYPES } from '../registry/built-in';
import { placedActions } from './layout';

const ROLE_ARN = /^arn:aws(-[\w]+)*:iam::[0-9]{12}:role\/.*$/;
const BUCKET = /^[a-zA-Z0-9\-.]{3,63}$/;
const CONNECTION_ARN = /^arn:aws(-[\w]+)*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection\/[0-9a-f-]{36}$/;

export function checkAwsValues(declaration: PipelineDeclaration, findings: FindingsCollector): void {
  // A pipeline of Pipewright's own types needs no role or store; one written for AWS is told what is missing.
  const writtenForAws = placedActions(declaration).some(({ action: { actionTypeId: id } }) =>
    (id.owner === 'AWS' || id.owner === 'ThirdParty') && !EXECUTED_CATALOG_TYPES.includes(actionTypeKey(id)),
  );
  checkRoleArn(findings, 'pipeline.roleArn', declaration.roleArn, writtenForAws);
  const { artifactStore, artifactStores } = declaration;
  if (artifactStore && artifactStores) {
    findings.warning('pipeline.artifactStores', 'aws.artifact-store', 'AWS takes artifactStore or artifactStores, not both; Pipewright keeps both and uses its own artifact service');
  }
  if (!artifactStore && !artifactStores && writtenForAws) {
    findings.warning('pipeline', 'aws.artifact-store', 'neither artifactStore nor artifactStores is declared (AWS requires one; Pipewright uses its own artifact service)');
  }
  if (artifactStore) checkStore(findings, 'pipeline.artifactStore', artifactStore);
  for (const [region, store] of Object.entries(artifactStores ?? {})) checkStore(findings, at('pipeline.artifactStores', region), store);
  for (const { action, path } of placedActions(declaration)) {
    if (action.roleArn !== undefined) checkRoleArn(findings, `${path}.roleArn`, action.roleArn, false);
    if (action.region !== undefined) {
      findings.warning(`${path}.region`, 'aws.region', `region ${JSON.stringify(action.region)} is kept; Pipewright runs the action where its worker runs`);
    }
    const connectionArn = action.configuration?.ConnectionArn;
    if (connectionArn !== undefined && !CONNECTION_ARN.test(connectionArn) && !containsPlaceholder(connectionArn)) {
      findings.warning(`${path}.configuration.ConnectionArn`, 'aws.connection-arn', `${JSON.stringify(connectionArn)} is not a connection ARN`);
    }
  }
}

function checkRoleArn(findings: FindingsCollector, path: string, roleArn: string | undefined, warnWhenMissing: boolean): void {
  if (roleArn === undefined) {
    if (warnWhenMissing) findings.warning(path, 'aws.role-arn', 'roleArn is missing (AWS requires it; Pipewright does not use it)');
    return;
  }
  if (containsPlaceholder(roleArn)) findings.warning(path, 'placeholder', 'roleArn holds a placeholder');
  else if (!ROLE_ARN.test(roleArn)) findings.warning(path, 'aws.role-arn', `${JSON.stringify(roleArn)} is not an IAM role ARN`);
}

function checkStore(findings: FindingsCollector, path: string, store: ArtifactStore): void {
  if (containsPlaceholder(store.location)) findings.warning(`${path}.location`, 'placeholder', 'location holds a placeholder');
  else if (!BUCKET.test(store.location)) findings.warning(`${path}.location`, 'aws.artifact-store', `${JSON.stringify(store.location)} is not an S3 bucket name`);
  if (store.encryptionKey) {
    findings.warning(`${path}.encryptionKey`, 'aws.encryption-key', 'the KMS key is kept; Pipewright encrypts artifacts with its own configured key');
  }
}
