import { specification } from '@pipewright/decider';
import { actionExecutionIdFor, executionDecider, executionEvent, jobNonceFor, PipelineVariableMissing, UnknownPipelineVariable } from '../src';
import { artifact, at, build, complete, enter, EXECUTION_ID, fail, history, pipeline, SEED, source, startCommand, stateOf, T0, throughSource, types } from './support';

const spec = specification(executionDecider);
const twoGroups = pipeline([{ name: 'Build', actions: [build('Compile', 1), build('Lint', 1), build('Package', 2)] }]);

describe('starting an execution', () => {
  it('records the exact declaration, resolved variables, and asks to enter the first stage', () => {
    const declaration = pipeline([{ name: 'Build', actions: [build('Compile')] }], {
      variables: [{ name: 'env', defaultValue: 'dev' }, { name: 'region', defaultValue: 'eu' }],
    });
    spec
      .given([])
      .when(startCommand(declaration, { variables: [{ name: 'env', value: 'prod' }], sourceRevisions: [{ actionName: 'Checkout', revisionType: 'COMMIT_ID', revisionValue: 'abc' }] }))
      .then([
        executionEvent('PipelineExecutionStarted', {
          pipelineExecutionId: EXECUTION_ID,
          pipelineName: 'app',
          pipelineVersion: 1,
          declaration,
          executionMode: 'SUPERSEDED',
          executionType: 'STANDARD',
          trigger: { triggerType: 'StartPipelineExecution' },
          sourceRevisions: [{ actionName: 'Checkout', revisionType: 'COMMIT_ID', revisionValue: 'abc' }],
          variables: [
            { name: 'env', value: 'prod' },
            { name: 'region', value: 'eu' },
          ],
          seed: SEED,
          at: T0,
        }),
        executionEvent('StageEntryRequested', { stageName: 'Source', reason: 'Start', at: T0 }),
      ]);
  });

  it('refuses an override of a variable the pipeline does not declare', () => {
    spec.given([]).when(startCommand(twoGroups, { variables: [{ name: 'nope', value: 'x' }] })).thenThrows(UnknownPipelineVariable);
  });

  it('refuses to start when a variable without default gets no value', () => {
    spec.given([]).when(startCommand(pipeline([{ name: 'Build', actions: [build('Compile')] }], { variables: [{ name: 'env' }] }))).thenThrows(PipelineVariableMissing);
  });

  it('is idempotent: a replayed start decides nothing', () => {
    spec.given(history([startCommand(twoGroups)])).when(startCommand(twoGroups)).then([]);
  });
});

describe('scheduling inside a stage', () => {
  it('dispatches the Source action with the requested revision when the stage is entered', () => {
    const given = history([startCommand(twoGroups, { sourceRevisions: [{ actionName: 'Checkout', revisionType: 'COMMIT_ID', revisionValue: 'abc' }] })]);
    const jobId = actionExecutionIdFor(EXECUTION_ID, 'Source', 'Checkout', 1);
    spec
      .given(given)
      .when(enter('Source', at(1)))
      .then([
        executionEvent('StageExecutionStarted', { stageName: 'Source', at: at(1) }),
        executionEvent('ActionExecutionStarted', {
          stageName: 'Source',
          actionName: 'Checkout',
          attempt: 1,
          runAttempt: 1,
          actionExecutionId: jobId,
          jobId,
          nonce: jobNonceFor(SEED, jobId),
          actionTypeId: source().actionTypeId,
          runOrder: 1,
          namespace: 'SourceVariables',
          configuration: { FullRepositoryId: 'acme/app', BranchName: 'main' },
          inputArtifacts: [],
          outputArtifactNames: ['SourceArtifact'],
          sourceRevision: { actionName: 'Checkout', revisionType: 'COMMIT_ID', revisionValue: 'abc' },
          timeoutAt: at(1 + 3600),
          at: at(1),
        }),
      ]);
  });

  it('dispatches the actions of the lowest runOrder together, with the upstream artifact wired in', () => {
    const events = history([enter('Build', at(3))], throughSource(twoGroups));
    const started = events.filter((e) => e.type === 'ActionExecutionStarted').slice(1);
    expect(started.map((e) => e.type === 'ActionExecutionStarted' && [e.data.actionName, e.data.inputArtifacts])).toEqual([
      ['Compile', [artifact('SourceArtifact')]],
      ['Lint', [artifact('SourceArtifact')]],
    ]);
  });

  it('starts the next runOrder group only when every action of the current one succeeded', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(twoGroups));
    const oneDone = history([complete(inBuild, 'Build', 'Compile', at(4))], inBuild);
    expect(types(oneDone.slice(inBuild.length))).toEqual(['ActionExecutionSucceeded']);
    const events = spec.given(oneDone).when(complete(oneDone, 'Build', 'Lint', at(5))).then(
      history([complete(oneDone, 'Build', 'Lint', at(5))], oneDone).slice(oneDone.length),
    );
    expect(events.map((e) => e.type === 'ActionExecutionStarted' ? e.data.actionName : e.type)).toEqual(['ActionExecutionSucceeded', 'Package']);
  });

  it('lets the rest of a group finish after one action failed, then fails the stage and the execution', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(twoGroups));
    const oneFailed = history([fail(inBuild, 'Build', 'Compile', at(4))], inBuild);
    expect(types(oneFailed.slice(inBuild.length))).toEqual(['ActionExecutionFailed']);
    spec
      .given(oneFailed)
      .when(complete(oneFailed, 'Build', 'Lint', at(5)))
      .then([
        executionEvent('ActionExecutionSucceeded', { stageName: 'Build', actionName: 'Lint', attempt: 1, outputArtifacts: [], outputVariables: {}, at: at(5) }),
        executionEvent('StageExecutionFailed', { stageName: 'Build', at: at(5) }),
        executionEvent('PipelineExecutionFailed', { statusSummary: "Stage 'Build' failed: action 'Compile' failed", at: at(5) }),
      ]);
    expect(stateOf(history([complete(oneFailed, 'Build', 'Lint', at(5))], oneFailed)).stages['Build']?.actions['Package']).toBeUndefined();
  });

  it('finishes a stage and asks to enter the next one through its transition', () => {
    const declaration = pipeline([{ name: 'Build', actions: [build('Compile')] }, { name: 'Deploy', actions: [build('Ship')] }]);
    const inBuild = history([enter('Build', at(3))], throughSource(declaration));
    spec
      .given(inBuild)
      .when(complete(inBuild, 'Build', 'Compile', at(4)))
      .then([
        executionEvent('ActionExecutionSucceeded', { stageName: 'Build', actionName: 'Compile', attempt: 1, outputArtifacts: [], outputVariables: {}, at: at(4) }),
        executionEvent('StageExecutionSucceeded', { stageName: 'Build', at: at(4) }),
        executionEvent('StageEntryRequested', { stageName: 'Deploy', reason: 'Transition', at: at(4) }),
      ]);
  });

  it('succeeds the execution when the last stage succeeds', () => {
    const inBuild = history([enter('Build', at(3))], throughSource(pipeline([{ name: 'Build', actions: [build('Compile')] }])));
    const events = history([complete(inBuild, 'Build', 'Compile', at(4))], inBuild);
    expect(types(events.slice(inBuild.length))).toEqual(['ActionExecutionSucceeded', 'StageExecutionSucceeded', 'PipelineExecutionSucceeded']);
    expect(stateOf(events).status).toBe('Succeeded');
  });

  it('ignores a stage grant it did not ask for', () => {
    spec.given(throughSource(twoGroups)).when(enter('Source', at(3))).then([]);
  });
});

describe('variables resolved at dispatch', () => {
  const withVariables = pipeline(
    [
      {
        name: 'Build',
        actions: [
          build('Compile', 1, {
            configuration: { ProjectName: 'p', Commit: '#{SourceVariables.CommitId}', Env: '#{variables.env}', Run: '#{codepipeline.PipelineExecutionId}' },
          }),
        ],
      },
    ],
    { variables: [{ name: 'env', defaultValue: 'dev' }] },
  );

  it('resolves upstream output variables, pipeline variables (overridden at start) and the execution id', () => {
    const started = history([startCommand(withVariables, { variables: [{ name: 'env', value: 'prod' }] }), enter('Source', at(1))]);
    const sourced = history([complete(started, 'Source', 'Checkout', at(2), { outputArtifacts: [artifact('SourceArtifact')], outputVariables: { CommitId: 'abc123' } })], started);
    const events = history([enter('Build', at(3))], sourced);
    expect(stateOf(events).stages['Build']?.actions['Compile']?.configuration).toEqual({ ProjectName: 'p', Commit: 'abc123', Env: 'prod', Run: EXECUTION_ID });
  });

  it('leaves #{secrets.name} literal beside resolved references: only the job resolves secrets', () => {
    const declaration = pipeline([{ name: 'Build', actions: [build('Compile', 1, { configuration: { Commands: 'deploy --token #{secrets.deploy-token} --run #{codepipeline.PipelineExecutionId}' } })] }]);
    const events = history([enter('Build', at(3))], throughSource(declaration));
    expect(stateOf(events).stages['Build']?.actions['Compile']?.configuration).toEqual({ Commands: `deploy --token #{secrets.deploy-token} --run ${EXECUTION_ID}` });
  });

  it('fails the action with a ConfigurationError naming the reference it cannot resolve', () => {
    const declaration = pipeline([{ name: 'Build', actions: [build('Compile', 1, { configuration: { Tag: '#{BuildVariables.Tag}' } })] }]);
    const given = throughSource(declaration);
    spec
      .given(given)
      .when(enter('Build', at(3)))
      .then([
        executionEvent('StageExecutionStarted', { stageName: 'Build', at: at(3) }),
        executionEvent('ActionExecutionFailed', {
          stageName: 'Build',
          actionName: 'Compile',
          attempt: 1,
          actionExecutionId: actionExecutionIdFor(EXECUTION_ID, 'Build', 'Compile', 1),
          runOrder: 1,
          errorDetails: {
            code: 'ConfigurationError',
            message: "Unable to resolve variable #{BuildVariables.Tag}: no action that succeeded upstream publishes namespace 'BuildVariables' (configuration 'Tag' of action 'Compile')",
          },
          at: at(3),
        }),
        executionEvent('StageExecutionFailed', { stageName: 'Build', at: at(3) }),
        executionEvent('PipelineExecutionFailed', { statusSummary: "Stage 'Build' failed: action 'Compile' failed", at: at(3) }),
      ]);
  });
});
