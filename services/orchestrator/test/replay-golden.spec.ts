import { goldenFiles, readGolden, replay } from './replay-golden';

/**
 * Histories the orchestrator stored in a real run (replay.e2e.spec.ts with PIPEWRIGHT_RECORD_GOLDEN=1),
 * rows and metadata as they were, must replay through the service's load path and the domain's fold
 * to the views committed beside them: a change that would read an old execution differently fails here.
 */
describe('golden execution logs recorded from the orchestrator', () => {
  const files = goldenFiles();

  it('are committed for an approved, a retried and a stopped execution', () => {
    expect(files).toEqual(['approved-after-parallel-builds.json', 'failed-then-retried.json', 'stopped-abandoning-builds.json']);
  });

  it.each(files)('%s is one gap-free stream as stored', (file) => {
    const { events } = readGolden(file);
    expect(new Set(events.map((e) => e.streamId)).size).toBe(1);
    expect(events.map((e) => e.streamVersion)).toEqual(events.map((_, i) => i + 1));
  });

  it.each(files)('%s replays to its committed view and GetPipelineExecution message', async (file) => {
    const golden = readGolden(file);
    expect(await replay(golden.events)).toEqual(golden.expected);
  });

  it('ends each history in the status it was recorded for', async () => {
    const statuses = await Promise.all(files.map(async (f) => ((await replay(readGolden(f).events)).pipelineExecution as { status: string }).status));
    expect(statuses).toEqual(['Succeeded', 'Succeeded', 'Stopped']);
  });
});
