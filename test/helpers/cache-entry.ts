/** Where a cache entry keeps its copy of one output, for tests that damage it (the store's layout: `cache/entry.ts` copyName). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The stored copy of the output `path` in the entry folder `entryDir` (found by its place in meta.json's manifest). */
export function storedCopy(entryDir: string, path: string): string {
  const text = readFileSync(join(entryDir, 'meta.json'), 'utf8');
  const files = (JSON.parse(text.slice(text.indexOf('\n') + 1)) as { files: { path: string }[] }).files;
  const i = files.findIndex((f) => f.path === path);
  if (i < 0) throw new Error(`${entryDir} has no output ${path}`);
  return join(entryDir, `${i}.out`);
}
