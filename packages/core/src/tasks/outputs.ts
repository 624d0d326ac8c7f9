import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { toRepoPath } from '../model/index.js';
import { taskOptions, type RunnableTask } from './runnable.js';

/**
 * The files a task produced, repository-relative: its `outputs` with `{projectRoot}`,
 * `{workspaceRoot}`, `{projectName}` and `{options.x}` filled in; a directory stands for every file
 * and symbolic link below it. Symbolic links (to files or to folders) are outputs themselves, never
 * followed; directories are not outputs (the cache stores what is in them).
 */
export async function expandOutputs(root: string, t: RunnableTask): Promise<string[]> {
  const patterns: string[] = [];
  const negated: string[] = [];
  const opts = taskOptions(t);
  for (const raw of t.config.outputs ?? []) {
    let missing = false;
    let p = raw
      .replace(/\{projectRoot\}/g, t.project.root || '.')
      .replace(/\{workspaceRoot\}\/?/g, '')
      .replace(/\{projectName\}/g, t.project.name)
      .replace(/\{options\.([^}]+)\}/g, (_, key: string) => {
        const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), opts);
        if (v === undefined) missing = true;
        return String(v);
      });
    if (missing) continue; // Nx drops an output whose option is unset
    const neg = p.startsWith('!');
    if (neg) p = p.slice(1);
    const rp = toRepoPath(p);
    if (rp === undefined || rp === '') continue;
    (neg ? negated : patterns).push(rp);
  }
  const globs: string[] = [];
  const dynamic = /[*?[\]{}()!+@]/;
  for (const p of patterns) {
    if (dynamic.test(p)) globs.push(p);
    else {
      // lstat: an output that is a symbolic link to a folder is that link, not what it leads to.
      const st = await lstat(join(root, p)).catch(() => undefined);
      if (st?.isDirectory()) globs.push(`${p}/**`);
      else if (st) globs.push(p);
    }
  }
  if (globs.length === 0) return [];
  const { default: fg } = await import('fast-glob');
  // Not `onlyFiles`: fast-glob takes it as "regular files", which drops symbolic links.
  const found = await fg(globs, { cwd: root, dot: true, onlyFiles: false, objectMode: true, followSymbolicLinks: false, ignore: negated });
  return found
    .filter((e) => !e.dirent.isDirectory())
    .map((e) => e.path)
    .sort();
}
