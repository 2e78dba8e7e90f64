/**
 * Pipewright's built-in providers (owner `Pipewright`): what its job-worker executes itself.
 * Data only; the job-worker holds the executors.
 */
import { ActionTypeDefinition, booleanProperty as bool, defineActionType as type, optionalProperty as opt, requiredProperty as req } from './action-type';

const shell = { inputs: [1, 5] as [number, number], outputs: [0, 5] as [number, number], properties: [opt('Commands'), opt('BuildSpec')], oneOfRequired: [['Commands', 'BuildSpec']] };
const noOp = { inputs: [0, 5] as [number, number], outputs: [0, 5] as [number, number], properties: [opt('SleepMillis', { type: 'Number' }), bool('Fail')] };

export const BUILT_IN_ACTION_TYPES: readonly ActionTypeDefinition[] = [
  type('Source', 'Pipewright', 'Git', {
    inputs: [0, 0],
    outputs: [1, 1],
    properties: [req('RepositoryUrl'), opt('Branch'), opt('CommitId'), bool('PollForSourceChanges')],
  }),
  type('Build', 'Pipewright', 'Shell', shell),
  type('Test', 'Pipewright', 'Shell', shell),
  type('Deploy', 'Pipewright', 'Directory', {
    inputs: [1, 1],
    outputs: [0, 0],
    properties: [req('TargetDirectory'), opt('KeepReleases', { type: 'Number' }), opt('DeployCommand')],
  }),
  type('Invoke', 'Pipewright', 'Http', {
    inputs: [0, 5],
    outputs: [0, 1],
    properties: [
      req('Url'),
      opt('Method', { allowedValues: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] }),
      opt('Body'),
      opt('Headers'),
      opt('TimeoutSeconds', { type: 'Number' }),
      opt('Retries', { type: 'Number' }),
      opt('ExpectedStatus'),
    ],
  }),
  type('Build', 'Pipewright', 'NoOp', noOp),
  type('Test', 'Pipewright', 'NoOp', noOp),
];

/** Types of CodePipeline's catalog that Pipewright executes itself (no worker needed). */
export const EXECUTED_CATALOG_TYPES: readonly string[] = ['Approval/AWS/Manual/1', 'Compute/AWS/Commands/1'];
