/**
 * CodePipeline's own action types (owner AWS and ThirdParty) as the CodePipeline user guide's
 * action reference documents them: configuration properties with their required flags, and input
 * and output artifact counts. Imported declarations validate against these as they would on AWS.
 * Data only; Pipewright executes just Approval/Manual and Compute/Commands of these itself.
 */
import { ActionTypeDefinition, booleanProperty as bool, defineActionType as type, optionalProperty as opt, requiredProperty as req } from './action-type';

const OUTPUT_ARTIFACT_FORMAT = opt('OutputArtifactFormat', { allowedValues: ['CODE_ZIP', 'CODEBUILD_CLONE_REF'] });
const CLOUDFORMATION_ACTION_MODES = ['CHANGE_SET_EXECUTE', 'CHANGE_SET_REPLACE', 'CREATE_UPDATE', 'DELETE_ONLY', 'REPLACE_ON_FAILURE'];
const STACK_SET_DEPLOYMENT = [
  opt('FailureTolerancePercentage'),
  opt('FailureToleranceCount'),
  opt('MaxConcurrentPercentage'),
  opt('MaxConcurrentCount'),
  opt('RegionConcurrencyType', { allowedValues: ['SEQUENTIAL', 'PARALLEL'] }),
  opt('ConcurrencyMode', { allowedValues: ['STRICT_FAILURE_TOLERANCE', 'SOFT_FAILURE_TOLERANCE'] }),
];
const codeBuildProperties = [
  req('ProjectName'),
  opt('PrimarySource', { namesInputArtifact: true }),
  bool('BatchEnabled'),
  bool('CombineArtifacts'),
  opt('EnvironmentVariables'),
];
const imageProperties = [1, 2, 3, 4, 5].flatMap((n) => [opt(`Image${n}ArtifactName`, { namesInputArtifact: true }), opt(`Image${n}ContainerName`)]);

export const AWS_ACTION_TYPES: readonly ActionTypeDefinition[] = [
  // Source
  type('Source', 'AWS', 'S3', {
    inputs: [0, 0],
    outputs: [1, 1],
    properties: [req('S3Bucket'), req('S3ObjectKey'), bool('PollForSourceChanges'), bool('AllowOverrideForS3ObjectKey')],
  }),
  type('Source', 'AWS', 'CodeCommit', {
    inputs: [0, 0],
    outputs: [1, 1],
    properties: [req('RepositoryName'), req('BranchName'), bool('PollForSourceChanges'), OUTPUT_ARTIFACT_FORMAT],
  }),
  type('Source', 'AWS', 'ECR', { inputs: [0, 0], outputs: [1, 1], properties: [req('RepositoryName'), opt('ImageTag')] }),
  type('Source', 'AWS', 'CodeStarSourceConnection', {
    inputs: [0, 0],
    outputs: [1, 1],
    properties: [req('ConnectionArn'), req('FullRepositoryId'), req('BranchName'), OUTPUT_ARTIFACT_FORMAT, bool('DetectChanges')],
  }),
  type('Source', 'ThirdParty', 'GitHub', {
    inputs: [0, 0],
    outputs: [1, 1],
    properties: [req('Owner'), req('Repo'), req('Branch'), req('OAuthToken', { secret: true }), bool('PollForSourceChanges')],
  }),
  // Build and Test
  type('Build', 'AWS', 'CodeBuild', { inputs: [1, 5], outputs: [0, 5], properties: codeBuildProperties }),
  type('Test', 'AWS', 'CodeBuild', { inputs: [1, 5], outputs: [0, 5], properties: codeBuildProperties }),
  type('Build', 'AWS', 'ECRBuildAndPublish', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [req('ECRRepositoryName'), opt('DockerFilePath'), opt('ImageTags'), opt('RegistryType', { allowedValues: ['private', 'public'] })],
  }),
  type('Test', 'AWS', 'DeviceFarm', {
    inputs: [1, 2],
    outputs: [0, 0],
    properties: [
      req('AppType', { allowedValues: ['iOS', 'Android', 'Web'] }),
      req('ProjectId'),
      opt('App'),
      req('DevicePoolArn'),
      req('TestType'),
      opt('Test'),
      opt('AppiumVersion'),
      opt('RadioBluetoothEnabled'),
      opt('RadioWifiEnabled'),
      opt('RadioNfcEnabled'),
      opt('RadioGpsEnabled'),
      opt('RecordAppPerformanceData'),
      opt('RecordVideo'),
      opt('FuzzEventCount'),
      opt('FuzzEventThrottle'),
      opt('FuzzRandomizerSeed'),
      opt('CustomHostMachineArtifacts'),
      opt('CustomDeviceArtifacts'),
      opt('UnmeteredDevicesOnly'),
      opt('JobTimeoutMinutes'),
      opt('Latitude'),
      opt('Longitude'),
    ],
  }),
  // Deploy
  type('Deploy', 'AWS', 'S3', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [req('BucketName'), bool('Extract', true), opt('ObjectKey'), opt('KMSEncryptionKeyARN'), opt('CannedACL'), opt('CacheControl')],
  }),
  type('Deploy', 'AWS', 'CodeDeploy', { inputs: [1, 1], outputs: [0, 0], properties: [req('ApplicationName'), req('DeploymentGroupName')] }),
  type('Deploy', 'AWS', 'CodeDeployToECS', {
    inputs: [1, 5],
    outputs: [0, 0],
    properties: [
      req('ApplicationName'),
      req('DeploymentGroupName'),
      req('TaskDefinitionTemplateArtifact', { namesInputArtifact: true }),
      opt('TaskDefinitionTemplatePath'),
      req('AppSpecTemplateArtifact', { namesInputArtifact: true }),
      opt('AppSpecTemplatePath'),
      ...imageProperties,
    ],
  }),
  type('Deploy', 'AWS', 'ECS', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [req('ClusterName'), req('ServiceName'), opt('FileName'), opt('DeploymentTimeout')],
  }),
  type('Deploy', 'AWS', 'CloudFormation', {
    inputs: [0, 10],
    outputs: [0, 1],
    properties: [
      req('ActionMode', { allowedValues: CLOUDFORMATION_ACTION_MODES }),
      req('StackName'),
      opt('Capabilities'),
      opt('ChangeSetName'),
      opt('OutputFileName'),
      opt('ParameterOverrides'),
      opt('RoleArn'),
      opt('TemplatePath'),
      opt('TemplateConfiguration'),
    ],
  }),
  type('Deploy', 'AWS', 'CloudFormationStackSet', {
    inputs: [1, 10],
    outputs: [0, 0],
    properties: [
      req('StackSetName'),
      req('TemplatePath'),
      opt('Description'),
      opt('Parameters'),
      opt('Capabilities'),
      opt('PermissionModel', { allowedValues: ['SELF_MANAGED', 'SERVICE_MANAGED'] }),
      opt('AdministrationRoleArn'),
      opt('ExecutionRoleName'),
      opt('OrganizationsAutoDeployment'),
      opt('DeploymentTargets'),
      opt('Regions'),
      ...STACK_SET_DEPLOYMENT,
    ],
  }),
  type('Deploy', 'AWS', 'CloudFormationStackInstances', {
    inputs: [0, 10],
    outputs: [0, 0],
    properties: [req('StackSetName'), req('DeploymentTargets'), req('Regions'), opt('ParameterOverrides'), ...STACK_SET_DEPLOYMENT],
  }),
  type('Deploy', 'AWS', 'ElasticBeanstalk', { inputs: [1, 1], outputs: [0, 0], properties: [req('ApplicationName'), req('EnvironmentName')] }),
  type('Deploy', 'AWS', 'OpsWorks', { inputs: [1, 1], outputs: [0, 1], properties: [req('Stack'), req('App'), opt('Layer'), opt('DeploymentType')] }),
  type('Deploy', 'AWS', 'ServiceCatalog', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [
      opt('TemplateFilePath'),
      opt('ProductVersionName'),
      opt('ProductType', { allowedValues: ['CLOUD_FORMATION_TEMPLATE'] }),
      req('ProductId'),
      opt('ProductVersionDescription'),
      opt('ConfigurationFilePath'),
    ],
  }),
  type('Deploy', 'AWS', 'AppConfig', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [req('Application'), req('Environment'), req('ConfigurationProfile'), req('InputArtifactConfigurationPath'), req('DeploymentStrategy')],
  }),
  type('Deploy', 'ThirdParty', 'AlexaSkillsKit', {
    inputs: [1, 2],
    outputs: [0, 0],
    properties: [req('ClientId'), req('ClientSecret', { secret: true }), req('RefreshToken', { secret: true }), req('SkillId')],
  }),
  type('Deploy', 'AWS', 'Lambda', {
    inputs: [0, 1],
    outputs: [0, 0],
    pipelineTypes: ['V2'],
    properties: [req('FunctionName'), opt('FunctionAlias'), opt('PublishedTargetVersion'), opt('DeployStrategy'), opt('Alarms')],
  }),
  type('Deploy', 'AWS', 'EC2', {
    inputs: [1, 1],
    outputs: [0, 0],
    pipelineTypes: ['V2'],
    properties: [
      req('InstanceTagKey'),
      req('InstanceTagValue'),
      req('InstanceType', { allowedValues: ['EC2', 'SSM_MANAGED_NODE'] }),
      req('TargetDirectory'),
      opt('MaxBatch'),
      opt('MaxError'),
      opt('TargetGroupNameList'),
      opt('PreScript'),
      opt('PostScript'),
    ],
  }),
  type('Deploy', 'AWS', 'EKS', {
    inputs: [1, 1],
    outputs: [0, 0],
    pipelineTypes: ['V2'],
    properties: [
      req('ClusterName'),
      opt('ManifestFiles'),
      opt('HelmReleaseName'),
      opt('HelmChartLocation'),
      opt('HelmValuesFiles'),
      opt('Namespace'),
      opt('SubnetIds'),
      opt('SecurityGroupIds'),
    ],
  }),
  // Invoke
  type('Invoke', 'AWS', 'Lambda', { inputs: [0, 5], outputs: [0, 5], properties: [req('FunctionName'), opt('UserParameters')] }),
  type('Invoke', 'AWS', 'StepFunctions', {
    inputs: [0, 1],
    outputs: [0, 1],
    properties: [req('StateMachineArn'), opt('ExecutionNamePrefix'), opt('InputType', { allowedValues: ['Literal', 'FilePath'] }), opt('Input')],
  }),
  type('Invoke', 'AWS', 'InspectorScan', {
    inputs: [0, 1],
    outputs: [0, 1],
    properties: [
      req('InspectorRunMode', { allowedValues: ['SourceCodeScan', 'ECRImageScan'] }),
      opt('ECRRepositoryName'),
      opt('ImageTag'),
      opt('CriticalThreshold'),
      opt('HighThreshold'),
      opt('MediumThreshold'),
      opt('LowThreshold'),
    ],
  }),
  // Approval and Compute: Pipewright runs these itself.
  type('Approval', 'AWS', 'Manual', {
    inputs: [0, 0],
    outputs: [0, 0],
    properties: [opt('NotificationArn'), opt('ExternalEntityLink'), opt('CustomData')],
  }),
  type('Compute', 'AWS', 'Commands', { inputs: [1, 10], outputs: [0, 1], commands: 'required', pipelineTypes: ['V2'] }),
];
