/**
 * `.kiln/`, kept out of what git (and so kiln) lists as the workspace's files. A module of its own,
 * with no dependencies: a fresh clone's restore through its run bundle needs it before the rest of
 * the engine is loaded (`api/run-from-bundle.ts`).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * `.kiln/` holds caches, never inputs: a `.gitignore` of `*` inside keeps git (and so kiln) from
 * listing it. True when the file had to be written now.
 */
export function ignoreKilnDirectory(root: string): boolean {
  const file = join(root, '.kiln', '.gitignore');
  if (existsSync(file)) return false;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '*\n', { flag: 'wx' });
  } catch {
    // Another process wrote it first, or the directory is read-only: harmless either way.
  }
  return true;
}
