import { DEFAULT_PARTITIONS, deadLetterTopic, defaultPartitions, topicCatalog, Topics } from './topics';

describe('topic catalog', () => {
  it('lists the five Pipewright topics with 6 partitions by default', () => {
    expect(topicCatalog({})).toEqual([
      { name: 'pipewright.pipeline-events', partitions: 6 },
      { name: 'pipewright.execution-requests', partitions: 6 },
      { name: 'pipewright.execution-events', partitions: 6 },
      { name: 'pipewright.job-requests', partitions: 6 },
      { name: 'pipewright.job-events', partitions: 6 },
    ]);
    expect(DEFAULT_PARTITIONS).toBe(6);
  });

  it('takes the partition count from PIPEWRIGHT_KAFKA_PARTITIONS', () => {
    expect(topicCatalog({ PIPEWRIGHT_KAFKA_PARTITIONS: '12' }).every((spec) => spec.partitions === 12)).toBe(true);
  });

  it.each(['0', '-3', '2.5', 'six'])('rejects PIPEWRIGHT_KAFKA_PARTITIONS=%s', (value) => {
    expect(() => defaultPartitions({ PIPEWRIGHT_KAFKA_PARTITIONS: value })).toThrow(/PIPEWRIGHT_KAFKA_PARTITIONS/);
  });

  it('names a dead-letter topic per source topic and consumer group', () => {
    expect(deadLetterTopic(Topics.JobRequests, 'job-worker')).toBe('pipewright.job-requests.job-worker.dlq');
    expect(deadLetterTopic(Topics.JobRequests, 'orchestrator')).not.toBe(deadLetterTopic(Topics.JobRequests, 'job-worker'));
  });
});
