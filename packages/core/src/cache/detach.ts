/**
 * Before a task runs again, its outputs restored as hard links (sharing their inode with the
 * cache's stored copies) get inodes of their own, so a task that rewrites its outputs in place
 * cannot change what the cache holds.
 */
import { chmod, copyFile, lstat, rename } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { asideName } from './place.js';

/** Gives each of `files` (repository-relative) that is hard-linked elsewhere an inode of its own. */
export async function detachOutputs(workspaceRoot: string, files: readonly string[]): Promise<void> {
  await pLimit(16).map(files, async (f) => {
    const p = join(workspaceRoot, f);
    const st = await lstat(p).catch(() => undefined);
    if (!st || !st.isFile() || st.nlink < 2) return;
    const tmp = asideName(p);
    await copyFile(p, tmp);
    await chmod(tmp, st.mode & 0o777);
    await rename(tmp, p);
  });
}
