/**
 * `kiln owners generate [--check]`: CODEOWNERS written from nx.json and project.json "owners"
 * (Nx's @nx/owners schema). Reads the settings from the workspace and writes the file; what
 * the file says is `owners/generate.ts`'s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { diagnostic, joinRepoPath, KilnError, toRepoPath } from '../model/index.js';
import { codeownersFromSettings, type LocatedOwnersProblem } from '../owners/index.js';
import type { Workspace } from '../workspace/index.js';
import { readText, workspacePrefix } from './load-owners.js';
import { loadWorkspace } from './load-workspace.js';

/** Owners settings problems as located diagnostics: nx.json, or the project's own config file. */
function configError(problems: readonly LocatedOwnersProblem[]): KilnError {
  return new KilnError(
    problems.map((p) =>
      diagnostic('invalid-owners-config', `${p.path}: ${p.message}`, {
        location: { file: p.file },
        hint: 'See docs/owners.md: nx.json "owners" and project.json "owners", as Nx\'s @nx/owners reads them.',
      }),
    ),
  );
}

/**
 * The CODEOWNERS text the workspace's owners settings describe, and where it goes; undefined
 * when nothing declares owners. `prefix` is where the workspace sits in the repository.
 */
export function generatedCodeowners(ws: Workspace, prefix: string): { text: string; outputPath: string } | undefined {
  const generated = codeownersFromSettings(
    (ws.nxJson as { owners?: unknown }).owners,
    [...ws.projects.values()].map((p) => {
      const raw = p.config as { owners?: unknown; metadata?: { owners?: unknown } };
      const file = p.configFiles.find((f) => f.endsWith('project.json')) ?? p.configFiles[0] ?? 'project.json';
      return { name: p.name, root: joinRepoPath(prefix, p.root), tags: p.tags, owners: raw.owners ?? raw.metadata?.owners, file };
    }),
  );
  if (!generated.ok) throw configError(generated.error);
  return generated.value;
}

export interface OwnersGenerateResult {
  /** Repository-relative path of the CODEOWNERS file. */
  readonly file: string;
  readonly upToDate: boolean;
  readonly written: boolean;
  readonly text: string;
}

/**
 * Writes CODEOWNERS from nx.json and project.json "owners" (Nx's @nx/owners schema); with
 * `check`, only compares. `outputPath` is relative to the repository root.
 */
export async function ownersGenerate(cwd: string, options: { check?: boolean } = {}): Promise<OwnersGenerateResult> {
  const ws = await loadWorkspace(cwd);
  const { repo, prefix } = await workspacePrefix(ws);
  const generated = generatedCodeowners(ws, prefix);
  if (!generated)
    throw new KilnError(
      diagnostic('no-owners-config', 'nothing to generate: neither nx.json nor any project declares "owners".', {
        hint: 'Add "owners": { "patterns": [{ "projects": ["*"], "owners": ["@org/team"] }] } to nx.json, or "owners": { "**/*": ["@team"] } to a project.json.',
      }),
    );
  const full = resolve(repo, generated.outputPath);
  const file = toRepoPath(relative(repo, full)) ?? generated.outputPath;
  const upToDate = readText(full) === generated.text;
  if (!upToDate && !options.check) {
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, generated.text);
  }
  return { file, upToDate, written: !upToDate && !options.check, text: generated.text };
}
