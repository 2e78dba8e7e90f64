import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Live (non-zombie) processes in a process group, read from /proc. Zombies are ignored: they
 * run nothing, and an init that does not reap would otherwise make a group look alive forever.
 */
export async function liveGroupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length > 2 && Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(name));
  }
  return members;
}

export async function isProcessRunning(pid: number): Promise<boolean> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Ends every process of the group: SIGTERM, then SIGKILL after `graceMillis`, and waits until
 * none is left, so a stopped or timed-out job never leaves work running behind it.
 */
export async function terminateGroup(pgid: number, graceMillis = 2000): Promise<void> {
  // Only signal a group that still has members: an empty group's id may be reused later.
  if (!(await liveGroupMembers(pgid)).length) return;
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMillis;
  while ((await liveGroupMembers(pgid)).length) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, 'SIGKILL');
      break;
    }
    await sleep(25);
  }
  // SIGKILL cannot be ignored; only wait for the kernel to finish delivering it.
  while ((await liveGroupMembers(pgid)).length) await sleep(10);
}
