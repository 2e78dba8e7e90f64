/** CodePipeline's quotas that an operator may raise, and Pipewright's own bounds. */
export interface ValidationOptions {
  maxStages: number;
  maxActionsPerStage: number;
  timeoutInMinutes: { min: number; max: number };
  retryPolicy: { maxAttempts: number; maxBackoffSeconds: number; maxBackoffMultiplier: number };
}

export const DEFAULT_VALIDATION_OPTIONS: ValidationOptions = {
  maxStages: 50,
  maxActionsPerStage: 50,
  // ActionDeclaration.timeoutInMinutes: 5 minutes to 60 days.
  timeoutInMinutes: { min: 5, max: 86400 },
  retryPolicy: { maxAttempts: 10, maxBackoffSeconds: 3600, maxBackoffMultiplier: 10 },
};

/** Fixed CodePipeline limits. */
export const MIN_STAGES = 2;
export const MIN_RUN_ORDER = 1;
export const MAX_RUN_ORDER = 999;
export const MAX_CONFIGURATION_KEY_LENGTH = 50;
export const MAX_CONFIGURATION_VALUE_LENGTH = 1000;
export const MAX_COMMANDS = 50;
export const MAX_COMMAND_LENGTH = 1000;
export const MAX_PIPELINE_VARIABLES = 50;
export const MAX_VARIABLE_DEFAULT_LENGTH = 1000;
export const MAX_VARIABLE_DESCRIPTION_LENGTH = 200;
export const MAX_TRIGGERS = 50;
export const MAX_GIT_FILTERS = 3;
export const MAX_FILTER_PATTERNS = 8;
