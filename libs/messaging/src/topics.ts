/**
 * The topic catalog. Every topic is keyed by pipeline name (DESIGN.md), so all events of one
 * pipeline's executions stay ordered on one partition.
 */
export const Topics = {
  PipelineEvents: 'pipewright.pipeline-events',
  ExecutionRequests: 'pipewright.execution-requests',
  ExecutionEvents: 'pipewright.execution-events',
  JobRequests: 'pipewright.job-requests',
  JobEvents: 'pipewright.job-events',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export interface TopicSpec {
  name: string;
  partitions: number;
}

export const DEFAULT_PARTITIONS = 6;

/** Dead-letter topics hold few messages; one partition keeps them in one order to read and replay. */
export const DEAD_LETTER_PARTITIONS = 1;

/** Partition count for new topics: PIPEWRIGHT_KAFKA_PARTITIONS, or 6. */
export function defaultPartitions(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.PIPEWRIGHT_KAFKA_PARTITIONS;
  if (value === undefined || value === '') return DEFAULT_PARTITIONS;
  const partitions = Number(value);
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new Error(`PIPEWRIGHT_KAFKA_PARTITIONS must be a positive integer, got "${value}"`);
  }
  return partitions;
}

/** The five Pipewright topics with their partition counts. */
export function topicCatalog(env: NodeJS.ProcessEnv = process.env): TopicSpec[] {
  const partitions = defaultPartitions(env);
  return Object.values(Topics).map((name) => ({ name, partitions }));
}

/**
 * Dead-letter topic of one consumer group for one source topic: `<topic>.<groupId>.dlq`,
 * e.g. `pipewright.job-requests.job-worker.dlq`. One per group because groups fail
 * independently: replaying one group's dead letters must not redeliver to another group.
 */
export function deadLetterTopic(topic: string, groupId: string): string {
  return `${topic}.${groupId}.dlq`;
}
