import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOrThrow, splitNul } from './git.js';

/** Every file in the tree of `ref`, relative to `cwd` and limited to it, `/`-separated. */
export async function listFilesAtRef(cwd: string, ref: string): Promise<string[]> {
  return splitNul(await gitOrThrow(cwd, ['ls-tree', '-r', '-z', '--name-only', ref, '--', '.']));
}

/**
 * The contents of many files at `ref` in one `git cat-file --batch` process (paths relative to
 * `cwd`); a path missing at that ref is absent from the result.
 */
export function readFilesAtRef(cwd: string, ref: string, paths: readonly string[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    if (paths.length === 0) return resolve(new Map());
    const child = spawn('git', ['cat-file', '--batch'], { cwd, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`git cat-file failed: ${stderr.trim()}`));
      const out = Buffer.concat(chunks);
      const files = new Map<string, string>();
      let at = 0;
      for (const path of paths) {
        const nl = out.indexOf(10, at);
        if (nl === -1) break;
        const header = out.toString('utf8', at, nl);
        at = nl + 1;
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) continue;
        const size = Number(header.slice(header.lastIndexOf(' ') + 1));
        const type = header.split(' ')[1];
        if (type === 'blob') files.set(path, out.toString('utf8', at, at + size));
        at += size + 1;
      }
      resolve(files);
    });
    child.stdin.end(paths.map((p) => `${ref}:./${p}\n`).join(''));
  });
}

/** Files' texts at both ends of a change (undefined: not there); `hasBase` false when there is no base. */
export interface FilesAtBothEnds {
  readonly hasBase: boolean;
  before(path: string): string | undefined;
  after(path: string): string | undefined;
}

/**
 * `paths` read at `base` and at `head`, or from the work tree when there is no head (relative to
 * `cwd`). Without a base, nothing is read before. Two `cat-file` processes at most, side by side.
 */
export async function readAtBothEnds(cwd: string, base: string | null, head: string | null, paths: readonly string[]): Promise<FilesAtBothEnds> {
  const [before, after] = await Promise.all([
    base === null ? new Map<string, string>() : readFilesAtRef(cwd, base, paths),
    head === null ? readWorkTree(cwd, paths) : readFilesAtRef(cwd, head, paths),
  ]);
  return { hasBase: base !== null, before: (p) => before.get(p), after: (p) => after.get(p) };
}

function readWorkTree(cwd: string, paths: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of paths) {
    try {
      out.set(p, readFileSync(join(cwd, p), 'utf8'));
    } catch {
      // not in the work tree
    }
  }
  return out;
}

/** Every file at `ref` with its git blob id (paths relative to `cwd`). */
export async function blobIdsAtRef(cwd: string, ref: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const line of splitNul(await gitOrThrow(cwd, ['ls-tree', '-r', '-z', ref, '--', '.']))) {
    const tab = line.indexOf('\t');
    const [, type, id] = line.slice(0, tab).split(' ');
    if (type === 'blob' && id) out.set(line.slice(tab + 1), id);
  }
  return out;
}
