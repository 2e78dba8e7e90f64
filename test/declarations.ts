/** Action type ids of the declarations the end-to-end suites create. */
export const ACTION_TYPE = {
  git: { category: 'Source', owner: 'Pipewright', provider: 'Git', version: '1' },
  shell: { category: 'Build', owner: 'Pipewright', provider: 'Shell', version: '1' },
  noOp: { category: 'Build', owner: 'Pipewright', provider: 'NoOp', version: '1' },
  manual: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' },
} as const;

/**
 * A test pipeline's Source stage: one Git action, "Checkout", of `repository`'s main branch, whose
 * tree becomes the output artifact `output`.
 */
export function gitSourceStage(repository: string, options: { output?: string; namespace?: string } = {}) {
  return {
    name: 'Source',
    actions: [
      {
        name: 'Checkout',
        ...(options.namespace ? { namespace: options.namespace } : {}),
        actionTypeId: ACTION_TYPE.git,
        configuration: { RepositoryUrl: repository, Branch: 'main' },
        outputArtifacts: [{ name: options.output ?? 'SourceArtifact' }],
      },
    ],
  };
}
