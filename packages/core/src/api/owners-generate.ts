/**
 * `kiln owners generate [--check]`: CODEOWNERS written from nx.json and project.json "owners"
 * (Nx's @nx/owners schema). Reads the settings from the workspace and writes the file; what
 * the file says is `owners/generate.ts`'s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { diagnostic, joinRepoPath, KilnError, toRepoPath } from '../model/index.js';
import { codeownersFromSettings, type LocatedOwnersProblem, type ProjectOwnersSettings } from '../owners/index.js';
import { parseJson, type JsonPath, type ParsedJson, type Workspace } from '../workspace/index.js';
import { readText, workspacePrefix } from './load-owners.js';
import { loadWorkspace } from './load-workspace.js';

/** Owners settings problems as diagnostics at their line and column: in nx.json, or the project's own config file. */
function configError(root: string, problems: readonly LocatedOwnersProblem[]): KilnError {
  const files = new Map<string, ParsedJson | undefined>();
  const parsed = (file: string) => {
    if (!files.has(file)) {
      const text = readText(join(root, file));
      const r = text === undefined ? undefined : parseJson(text, file);
      files.set(file, r?.ok ? r.value : undefined);
    }
    return files.get(file);
  };
  return new KilnError(
    problems.map((p) => {
      const json = parsed(p.file);
      return diagnostic('invalid-owners-config', `${p.path}: ${p.message}`, {
        location: json ? json.locate(settingPath(json.value, p.path)) : { file: p.file },
        hint: 'See docs/owners.md: nx.json "owners" and project.json "owners", as Nx\'s @nx/owners reads them.',
      });
    }),
  );
}

/**
 * A problem's path as owners/generate.ts writes it (`owners.patterns[1].owners`, or for a project
 * `books: owners["src/**"][0]`) → the JSON path in its file. A project's `owners` may sit at the top
 * of project.json, under `metadata`, or under package.json's `nx`: where the file has it.
 */
function settingPath(file: unknown, path: string): JsonPath {
  const steps: (string | number)[] = [];
  for (const m of path.replace(/^.*?: (?=owners\b)/, '').matchAll(/([A-Za-z_$][\w$]*)|\[(\d+)\]|\["(.*?)"\]/g)) steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  const has = (at: readonly string[]) => at.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined), file) !== undefined;
  const holder = [[], ['metadata'], ['nx'], ['nx', 'metadata']].find((at) => has([...at, 'owners'])) ?? [];
  return [...holder, ...steps];
}

/**
 * What the projects' owners depend on besides a CODEOWNERS file: nx.json's "owners" and each
 * project's name, root, tags and "owners" setting. Plain, JSON-safe data: a saved graph state can
 * keep it, so that `kiln affected` answers without reading every project's configuration again.
 */
export interface OwnersSource {
  /** The workspace root. */
  readonly root: string;
  /** nx.json's "owners", as written. */
  readonly nxOwners: unknown;
  /** Each project's settings; roots relative to the workspace root. */
  readonly projects: readonly ProjectOwnersSettings[];
}

/** The owners source of a loaded workspace. */
export function ownersSourceOf(ws: Workspace): OwnersSource {
  return {
    root: ws.root,
    nxOwners: (ws.nxJson as { owners?: unknown }).owners,
    projects: [...ws.projects.values()].map((p) => {
      const raw = p.config as { owners?: unknown; metadata?: { owners?: unknown } };
      const file = p.configFiles.find((f) => f.endsWith('project.json')) ?? p.configFiles[0] ?? 'project.json';
      return { name: p.name, root: p.root, tags: p.tags, owners: raw.owners ?? raw.metadata?.owners, file };
    }),
  };
}

/**
 * The CODEOWNERS text the owners settings describe, and where it goes; undefined when nothing
 * declares owners. `prefix` is where the workspace sits in the repository.
 */
export function generatedCodeowners(source: OwnersSource, prefix: string): { text: string; outputPath: string } | undefined {
  const generated = codeownersFromSettings(
    source.nxOwners,
    source.projects.map((p) => ({ ...p, root: joinRepoPath(prefix, p.root) })),
  );
  if (!generated.ok) throw configError(source.root, generated.error);
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
  const generated = generatedCodeowners(ownersSourceOf(ws), prefix);
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
