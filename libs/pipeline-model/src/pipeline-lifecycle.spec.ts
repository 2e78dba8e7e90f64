import { specification } from '@pipewright/decider';
import { PipelineDeclaration } from './declaration';
import { PipelineAlreadyExists, pipelineDecider, PipelineEvent, PipelineNotFound, PipelineVersionMismatch } from './pipeline-lifecycle';

const spec = specification(pipelineDecider);
const now = '2026-11-22T00:00:00.000Z';
const declaration: PipelineDeclaration = {
  name: 'web',
  stages: [
    { name: 'Source', actions: [{ name: 'Git', actionTypeId: { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' }, configuration: { RepositoryUrl: '/repo' }, outputArtifacts: [{ name: 'Src' }] }] },
    { name: 'Build', actions: [{ name: 'Make', actionTypeId: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' }, configuration: { Commands: 'make' }, inputArtifacts: [{ name: 'Src' }] }] },
  ],
};
const created: PipelineEvent = { type: 'PipelineCreated', data: { name: 'web', generation: 1, version: 1, declaration: { ...declaration, version: 1 }, tags: {}, at: now } };

describe('pipeline lifecycle', () => {
  it('creates version 1', () => {
    spec.given([]).when({ type: 'CreatePipeline', data: { declaration, tags: { team: 'a' }, now } }).then([{ ...created, data: { ...created.data, tags: { team: 'a' } } }]);
  });
  it('refuses to create a pipeline that exists', () => {
    spec.given([created]).when({ type: 'CreatePipeline', data: { declaration, tags: {}, now } }).thenThrows(PipelineAlreadyExists);
  });
  it('updates into the next version when the expected version is current', () => {
    spec
      .given([created])
      .when({ type: 'UpdatePipeline', data: { declaration, expectedVersion: 1, now } })
      .then([{ type: 'PipelineUpdated', data: { name: 'web', generation: 1, version: 2, declaration: { ...declaration, version: 2 }, at: now } }]);
  });
  it('refuses a stale expected version', () => {
    spec.given([created]).when({ type: 'UpdatePipeline', data: { declaration, expectedVersion: 7, now } }).thenThrows(PipelineVersionMismatch);
  });
  it('takes the expected version from the declaration when none is given, as CodePipeline does', () => {
    spec.given([created]).when({ type: 'UpdatePipeline', data: { declaration: { ...declaration, version: 3 }, now } }).thenThrows(PipelineVersionMismatch);
  });
  it('refuses to update, tag or delete a pipeline that does not exist', () => {
    spec.given([]).when({ type: 'UpdatePipeline', data: { declaration, now } }).thenThrows(PipelineNotFound);
    spec.given([]).when({ type: 'DeletePipeline', data: { name: 'web', now } }).thenThrows(PipelineNotFound);
    spec.given([]).when({ type: 'TagResource', data: { name: 'web', tags: {}, now } }).thenThrows(PipelineNotFound);
  });
  it('starts a new generation at version 1 after a delete', () => {
    spec
      .given([created, { type: 'PipelineDeleted', data: { name: 'web', generation: 1, at: now } }])
      .when({ type: 'CreatePipeline', data: { declaration, tags: {}, now } })
      .then([{ ...created, data: { ...created.data, generation: 2 } }]);
  });
});
