import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockWorkspace } from './workspace-lock.js';

const dirs: string[] = [];
const workspace = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const lockFile = (dir: string) => join(dir, '.kiln/run.lock');

describe('the workspace lock', () => {
  it('is held while a run works and gone after', async () => {
    const dir = workspace();
    const lock = await lockWorkspace(dir);
    expect(readFileSync(lockFile(dir), 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('is taken over from an owner that is gone, and from this pid left by an earlier process', async () => {
    const dir = workspace();
    const gone = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => gone.on('close', r));
    mkdirSync(join(dir, '.kiln'));
    for (const stale of [gone.pid!, process.pid]) {
      writeFileSync(lockFile(dir), `${stale}\n`);
      const warnings: string[] = [];
      const lock = await lockWorkspace(dir, { warn: (m) => warnings.push(m) });
      expect(warnings).toEqual([]);
      expect(readFileSync(lockFile(dir), 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    }
  });

  it('makes a second run wait for a live owner, saying so once, then go on', async () => {
    const dir = workspace();
    const owner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    try {
      mkdirSync(join(dir, '.kiln'));
      writeFileSync(lockFile(dir), `${owner.pid}\n`);
      const warnings: string[] = [];
      let locked = false;
      const waiting = lockWorkspace(dir, { warn: (m) => warnings.push(m), pollMs: 20 }).then((l) => {
        locked = true;
        return l;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(locked).toBe(false);
      expect(warnings).toEqual([`another kiln run (pid ${owner.pid}) is working in this workspace; waiting for it to finish`]);
      owner.kill('SIGKILL');
      const lock = await waiting;
      expect(readFileSync(lockFile(dir), 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    } finally {
      owner.kill('SIGKILL');
    }
  });

  it('is re-entrant within one process (a run inside a run)', async () => {
    const dir = workspace();
    const outer = await lockWorkspace(dir);
    const inner = await lockWorkspace(dir);
    inner.release();
    expect(existsSync(lockFile(dir))).toBe(true);
    outer.release();
    expect(existsSync(lockFile(dir))).toBe(false);
  });

  it('lets the run go on, with a warning, where no lock can be written', async () => {
    const dir = workspace();
    writeFileSync(join(dir, '.kiln'), 'a file where the folder should be');
    chmodSync(dir, 0o755);
    const warnings: string[] = [];
    const lock = await lockWorkspace(dir, { warn: (m) => warnings.push(m) });
    lock.release();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^cannot lock the workspace \(E\w+: .*\); a kiln run started at the same time may change outputs under this one$/);
  });
});
