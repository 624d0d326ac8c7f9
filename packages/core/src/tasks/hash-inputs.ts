/**
 * What task hashing needs from outside the process, gathered here so `hash/` stays pure: the
 * workspace's lockfile and the output of `{runtime}` commands (`kiln-dir.ts` keeps `.kiln/` out
 * of the files that are inputs).
 */
import { exec } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCKFILES, parseLockfile, type Lockfile } from '../lockfile/index.js';
import { sha256 } from '../model/index.js';

/** The workspace's lockfile, parsed: the first of `LOCKFILES` that exists; undefined without one, or when it does not parse. */
export async function readLockfile(root: string): Promise<Lockfile | undefined> {
  for (const file of LOCKFILES) {
    let text: string;
    try {
      text = await readFile(join(root, file), 'utf8');
    } catch {
      continue;
    }
    const parsed = parseLockfile(file, text);
    return parsed.ok ? parsed.value : undefined;
  }
  return undefined;
}

/**
 * Runs each `{runtime}` command in the workspace root, one after another in the order given, and
 * returns the SHA-256 of its output (stdout, NUL, stderr) by command. A command that fails counts
 * with whatever it printed.
 */
export async function runtimeOutputs(commands: readonly string[], root: string, env: NodeJS.ProcessEnv): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const command of commands) {
    if (out.has(command)) continue;
    out.set(command, await new Promise<string>((res) => exec(command, { cwd: root, env }, (_e, stdout, stderr) => res(sha256(`${stdout}\0${stderr}`)))));
  }
  return out;
}
