/**
 * Trailing metadata of a failed call (docs/contracts.md). INVALID_ARGUMENT carries every problem,
 * encoded as commonV1.ValidationProblems; every error carries its name (a CodePipeline exception
 * name where CodePipeline has one, e.g. PipelineNotFoundException).
 */
export const errorMetadataKeys = {
  problems: 'pipewright-problems-bin',
  errorCode: 'pipewright-error-code',
} as const;
