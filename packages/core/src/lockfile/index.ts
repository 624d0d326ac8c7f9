/**
 * lockfile: parses npm `package-lock.json` (v2/v3), `pnpm-lock.yaml` (v5/v6/v9, one YAML document
 * or pnpm 11's two), `yarn.lock` (classic and Berry) and bun's text `bun.lock` into pinned external
 * package instances and their dependency edges, diffs two lockfiles into the packages that really
 * changed (`diff.ts`), and tells which consumers (project roots with the names they use) reach a
 * changed package, naming the package whose resolution changed (`impact.ts`). Pure: it takes file
 * contents; reading them at a ref is `api/`'s job, and which projects use which names is the
 * project graph's. An unreadable file is a `lockfile-invalid` diagnostic at its line and column.
 */
import { diagnostic, err, type Diagnostic, type Result } from '../model/index.js';
import { parseBunLockfile } from './bun.js';
import { parseNpmLockfile } from './npm.js';
import { parsePnpmLockfile } from './pnpm.js';
import { parseYarnLockfile } from './yarn.js';
import type { Lockfile } from './types.js';

export * from './types.js';
export { parseBunLockfile } from './bun.js';
export { parseNpmLockfile } from './npm.js';
export { parsePnpmLockfile } from './pnpm.js';
export { parseYarnLockfile } from './yarn.js';
export * from './diff.js';
export * from './names.js';

/** Parses a lockfile by its file name. */
export function parseLockfile(file: string, text: string): Result<Lockfile, Diagnostic> {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') return parseNpmLockfile(text, file);
  if (base === 'pnpm-lock.yaml' || base === 'pnpm-lock.yml') return parsePnpmLockfile(text, file);
  if (base === 'yarn.lock') return parseYarnLockfile(text, file);
  if (base === 'bun.lock') return parseBunLockfile(text, file);
  return err(diagnostic('lockfile-unsupported', `kiln cannot read ${file} yet.`, { location: { file } }));
}
export * from './impact.js';
