/**
 * What the daemon's watcher leaves out: only what git ignores through the root .gitignore, so that
 * whatever git can report is watched. Matched case-sensitively, as git does unless
 * `core.ignorecase` is set (with it git ignores more, never less: the watch stays a superset of
 * what it reports, whatever the configuration). Tracked files (and their folders) are watched
 * whatever the rules say, git reports their changes; the list is read again after each change of
 * git's index, so a file force-added under an ignored folder (`git add -f`) is watched from then on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/diagnostic.js';
import { git } from '../scm/git.js';
import { workspaceIgnore } from '../watcher/index.js';
import type { IgnoreRules, LoadedIgnoreRules } from './server.js';

/** The daemon's ignore rules for the workspace at `root`. */
export function daemonIgnoreRules(root: string): IgnoreRules {
  return { files: ['.gitignore'], alsoFrom: ['.git/index'], load: () => load(root) };
}

async function load(root: string): Promise<LoadedIgnoreRules> {
  let text: string | undefined;
  try {
    text = readFileSync(join(root, '.gitignore'), 'utf8');
  } catch {
    text = undefined; // no rules, so nothing tracked is ignored
  }
  const ignoredTracked = text === undefined ? [] : await trackedButIgnored(root);
  const tracked = new Set<string>();
  for (const path of ignoredTracked) for (let p = path; p !== '.' && p !== ''; p = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '') tracked.add(p);
  return { isIgnored: workspaceIgnore(root, { gitOnly: true, gitState: true, tracked }), key: `${text ?? ''}\0${ignoredTracked.join('\0')}` };
}

/** The tracked files the root .gitignore's rules match, as the watcher matches them (case-sensitively). */
async function trackedButIgnored(root: string): Promise<string[]> {
  const r = await git(root, ['-c', 'core.ignorecase=false', 'ls-files', '-z', '--cached', '--ignored', '--exclude-from=.gitignore']);
  if (r.code === 0) return r.stdout.split('\0').filter(Boolean).sort();
  if (/not a git repository/i.test(r.stderr)) return [];
  throw new KilnError(diagnostic('git-failed', `git ls-files failed: ${r.stderr.trim().split('\n')[0] ?? ''}`));
}
