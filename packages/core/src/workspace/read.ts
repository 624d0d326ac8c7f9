/**
 * The workspace reader's edge: finds the workspace root, lists its files (git when it is a git
 * repository, fast-glob otherwise) and reads config files for the pure `buildWorkspace`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { cwdRelativePrefix, formatDiagnostic, KilnError, type RepoPath } from '../model/index.js';
import { parseJson } from './json.js';
import { buildWorkspace, type WorkspaceInput } from './projects.js';
import { visibleFiles } from './visible-files.js';
import type { Workspace } from './types.js';

// Finding the root lives in its own light module, so commands that only need the root load no parser.
export { findWorkspaceRoot, requireWorkspaceRoot } from './find-root.js';

/**
 * Workspace files outside git, repo-relative, without node_modules and build output (inside git,
 * `scm.listFiles` lists them). The `.gitignore` files still say what is not part of the workspace,
 * as git would read them: each applies below its own folder, a deeper one overriding.
 */
export async function globWorkspaceFiles(root: string): Promise<RepoPath[]> {
  const { default: fg } = await import('fast-glob');
  const files = (await fg('**/*', { cwd: root, dot: true, ignore: ['**/node_modules/**', '**/.git/**', '**/.nx/**', '**/.kiln/**', '**/dist/**'], followSymbolicLinks: false })) as RepoPath[];
  const ignoreFiles = files.filter((f) => f === '.gitignore' || f.endsWith('/.gitignore'));
  if (ignoreFiles.length === 0) return files;
  const ignore = createRequire(import.meta.url)('ignore') as typeof import('ignore');
  const levels = ignoreFiles
    .map((f) => {
      const dir = f.slice(0, f.length - '.gitignore'.length);
      return { dir, rules: ignore().add(readFileSync(join(root, f), 'utf8')) };
    })
    .sort((a, b) => a.dir.length - b.dir.length);
  return files.filter((f) => {
    let ignored = false;
    for (const { dir, rules } of levels) {
      if (!f.startsWith(dir)) continue;
      const verdict = rules.test(f.slice(dir.length));
      if (verdict.ignored) ignored = true;
      else if (verdict.unignored) ignored = false;
    }
    return !ignored;
  });
}

/**
 * Reads the workspace at `root` from its listed `files`; configuration problems throw a KilnError
 * listing all of them (exit 2), with paths relative to `cwd`.
 */
export function readWorkspace(
  root: string,
  files: readonly string[],
  cwd: string = root,
  inference?: Pick<WorkspaceInput, 'inferred' | 'inferenceGaps' | 'inferenceProblems' | 'pluginConfigs'>,
): Workspace {
  const at = cwdRelativePrefix(root);
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(at + path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const result = buildWorkspace({ root, files, read, nxJsInstalled: nxJsInstalled(root), ...inference });
  if (!result.ok) throw new KilnError(result.error.map((d) => relocate(d, root, cwd)));
  sayTurboWarnings(result.value.warnings.map((d) => relocate(d, root, cwd)));
  return result.value;
}

const said = new Set<string>();

/** turbo.json's warnings (nx.json wins over it) go to stderr, each once per process: they are about configuration no command result carries. */
function sayTurboWarnings(warnings: readonly { location?: { file: string } }[]): void {
  for (const w of warnings as Parameters<typeof formatDiagnostic>[0][]) {
    if (!/(^|\/)turbo\.jsonc?$/.test(w.location?.file ?? '')) continue;
    const text = `warning ${formatDiagnostic(w)}\n`;
    if (said.has(text)) continue;
    said.add(text);
    process.stderr.write(text);
  }
}

/** `files` as Nx sees them: without what the workspace's `.nxignore` hides (the same list `readWorkspace` keeps). */
export function nxVisibleFiles(root: string, files: readonly string[]): readonly string[] {
  if (!files.includes('.nxignore')) return files;
  const read = (p: string): string | undefined => {
    try {
      return readFileSync(join(root, p), 'utf8');
    } catch {
      return undefined;
    }
  };
  return visibleFiles(files, read);
}

/** Whether @nx/js is installed at the workspace root (Nx then adds `nx-release-publish` targets). */
export function nxJsInstalled(root: string): boolean {
  return existsSync(join(root, 'node_modules', '@nx', 'js', 'package.json'));
}

/**
 * The value of JSON `text` from `file`, read with the one policy (`parseJson`: a byte order mark,
 * comments and trailing commas allowed, a key written twice an error). A problem throws a
 * KilnError (exit 2) naming file:line:column.
 */
export function jsonValue(text: string, file: string): unknown {
  const parsed = parseJson(text, file);
  if (!parsed.ok) throw new KilnError(parsed.error);
  return parsed.value.value;
}

/** `jsonValue` of the file at `path`; errors name it `shownAs`. */
export async function readJsonFile(path: string, shownAs: string = path): Promise<unknown> {
  return jsonValue(await readFile(path, 'utf8'), shownAs);
}

/** Diagnostics name files relative to where the person stands. */
function relocate<T extends { location?: { file: string } }>(d: T, root: string, cwd: string): T {
  if (!d.location) return d;
  const file = relative(resolve(cwd), join(root, d.location.file)) || d.location.file;
  return { ...d, location: { ...d.location, file } };
}
