import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { serviceProcessEnv } from '@pipewright/service-kit';
import { eventually } from '@pipewright/testing';
import { FileBlobStore, FRAME_BYTES } from './index';

// Child processes run the TypeScript fixtures directly, as the services do in development.
const NODE_ARGS = ['-r', '@pipewright/ts-register'];
const FIXTURES = path.join(__dirname, '..', 'test', 'fixtures');
const GiB = 1024 ** 3;

describe('FileBlobStore under real workloads', () => {
  let root: string;
  beforeEach(async () => (root = await fs.mkdtemp(path.join(tmpdir(), 'pw-blobs-int-'))));
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it.each(['plain', 'encrypted'])('streams 1 GiB in and out (%s) with RSS growth under 100 MB', async (mode) => {
    // Allocating as the artifact service does (MALLOC_TUNING): its memory is what the bound is about.
    const { stdout } = await promisify(execFile)(process.execPath, [...NODE_ARGS, path.join(FIXTURES, 'large-round-trip.ts'), root, String(GiB), mode], {
      maxBuffer: 1024 * 1024,
      env: serviceProcessEnv(),
    });
    const result = JSON.parse(stdout) as { ref: { sha256: string; sizeBytes: number }; generated: string; read: string; readBytes: number; rssGrowth: number };
    expect(result.ref).toEqual({ sha256: result.generated, sizeBytes: GiB });
    expect(result.read).toBe(result.generated);
    expect(result.readBytes).toBe(GiB);
    expect(result.rssGrowth).toBeLessThan(100 * 1000 * 1000);
  }, 180_000);

  it.each([
    ['plain', undefined],
    ['encrypted', randomBytes(32)],
  ])('closes the blob file when a reader (%s) stops after the first chunk, or reads to the end', async (_mode, encryptionKey) => {
    const store = await FileBlobStore.open({ root, encryptionKey });
    const { sha256 } = await store.put(Readable.from([randomBytes(3 * FRAME_BYTES + 11)]));
    const openFiles = () => fs.readdir('/proc/self/fd').then((fds) => fds.length);
    const before = await openFiles();

    const stopped = await store.get(sha256);
    const opened = await openFiles();
    for await (const chunk of stopped) {
      expect((chunk as Buffer).length).toBeGreaterThan(0);
      break; // destroys the stream
    }
    // Closing is asynchronous: wait for it, a leaked descriptor fails after the deadline.
    await eventually('the stopped reader to close its file', async () => ((await openFiles()) === before ? true : undefined), 5_000, 20);
    let readBytes = 0;
    for await (const chunk of await store.get(sha256)) readBytes += (chunk as Buffer).length;
    await eventually('the finished reader to close its file', async () => ((await openFiles()) === before ? true : undefined), 5_000, 20);

    expect(opened).toBe(before + 1);
    expect(readBytes).toBe(3 * FRAME_BYTES + 11);
  });

  it('never exposes the blob of a writer killed mid-put, and the next open removes its temp file', async () => {
    const child = spawn(process.execPath, [...NODE_ARGS, path.join(FIXTURES, 'endless-writer.ts'), root], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => data.toString().includes('writing') && resolve());
      child.on('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;

    const leftovers = await fs.readdir(path.join(root, 'tmp'));
    expect(leftovers).toHaveLength(1);
    expect((await fs.stat(path.join(root, 'tmp', leftovers[0]))).size).toBeGreaterThan(0);

    const store = await FileBlobStore.open({ root });
    const listed = [];
    for await (const entry of store.list()) listed.push(entry);
    expect(listed).toEqual([]);
    expect(await fs.readdir(path.join(root, 'sha256'))).toEqual([]);
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([]);
  }, 60_000);

  it('keeps the temp file of a live writer when another store opens the same root', async () => {
    await FileBlobStore.open({ root });
    const live = path.join(root, 'tmp', `${process.pid}@${hostname()}@live.tmp`);
    await fs.writeFile(live, 'in progress');
    await FileBlobStore.open({ root });
    expect(await fs.readdir(path.join(root, 'tmp'))).toEqual([path.basename(live)]);
  });
});
