/**
 * CODEOWNERS generated from ownership declared per project, following the schema of Nx's
 * `@nx/owners` plugin, so a workspace configured for Nx needs no change:
 *
 *   nx.json   "owners": true | {
 *               "format": "github" | "gitlab" | "bitbucket",        (default github)
 *               "outputPath": ".github/CODEOWNERS",                  (default by format)
 *               "patterns": [{ "description"?, "owners": [..], "projects"?: [..], "files"?: [..] }],
 *               "sections": [{ "name", "numberOfRequiredApprovals"?, "optional"?,   (gitlab only)
 *                             "defaultOwners"?, "patterns": [..] }]
 *             }
 *   project.json (or package.json "nx")  "owners": { "<glob below the root>": ["@a"] | { "owners": ["@a"], "description"? } }
 *
 * `projects` selects like `nx run-many -p`: names and name globs (`finance-*`), `tag:x`, directory
 * globs (`libs/*`), and `!` to leave out. A project pattern owns the project's root directory;
 * a `files` glob is written as given (anchored with a leading `/`). nx.json patterns come first,
 * in order, then each project's own entries (projects by name), so the more specific lines win.
 * Pure: takes the configuration and the projects, returns the text and the problems found.
 */
import { err, ok, type Result } from '../model/index.js';
import { isValidOwner } from './parse.js';
import type { Dialect } from './types.js';

export type OwnersFormat = 'github' | 'gitlab' | 'bitbucket';

export interface OwnersPatternConfig {
  readonly description?: string;
  readonly owners: readonly string[];
  readonly projects?: readonly string[];
  readonly files?: readonly string[];
}

export interface OwnersSectionConfig {
  readonly name: string;
  readonly numberOfRequiredApprovals?: number;
  readonly optional?: boolean;
  readonly defaultOwners?: readonly string[];
  readonly patterns: readonly OwnersPatternConfig[];
}

export interface OwnersConfig {
  readonly format: OwnersFormat;
  readonly outputPath: string;
  readonly patterns: readonly OwnersPatternConfig[];
  readonly sections: readonly OwnersSectionConfig[];
}

/** One project's `owners` entry: a glob relative to its root and who owns it. */
export interface ProjectOwnersEntry {
  readonly files: string;
  readonly owners: readonly string[];
  readonly description?: string;
}

export interface GenerateProject {
  readonly name: string;
  /** Repository-relative root; `''` is the repository root. */
  readonly root: string;
  readonly tags: readonly string[];
  readonly owners: readonly ProjectOwnersEntry[];
}

/** A configuration problem: where (a JSON path like `owners.patterns[1].owners`) and what. */
export interface OwnersConfigProblem {
  readonly path: string;
  readonly message: string;
}

export const DEFAULT_OUTPUT_PATHS: Record<OwnersFormat, string> = {
  github: '.github/CODEOWNERS',
  gitlab: '.gitlab/CODEOWNERS',
  bitbucket: '.bitbucket/CODEOWNERS',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** nx.json's `owners` → the configuration, or undefined when ownership is not configured there. */
export function readOwnersConfig(value: unknown, problems: OwnersConfigProblem[]): OwnersConfig | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { format: 'github', outputPath: DEFAULT_OUTPUT_PATHS.github, patterns: [], sections: [] };
  if (!isObject(value)) {
    problems.push({ path: 'owners', message: 'must be true or an object with "format", "outputPath", "patterns"' });
    return undefined;
  }
  const format = value.format ?? 'github';
  if (format !== 'github' && format !== 'gitlab' && format !== 'bitbucket') {
    problems.push({ path: 'owners.format', message: `must be "github", "gitlab" or "bitbucket", not ${JSON.stringify(format)}` });
    return undefined;
  }
  const outputPath = value.outputPath ?? DEFAULT_OUTPUT_PATHS[format];
  if (typeof outputPath !== 'string' || outputPath === '') problems.push({ path: 'owners.outputPath', message: 'must be a file path' });
  const patterns = readPatterns(value.patterns, 'owners.patterns', problems);
  const sections: OwnersSectionConfig[] = [];
  if (value.sections !== undefined) {
    if (!Array.isArray(value.sections)) problems.push({ path: 'owners.sections', message: 'must be an array' });
    else {
      if (format !== 'gitlab' && value.sections.length > 0) problems.push({ path: 'owners.sections', message: 'sections exist only in GitLab\'s CODEOWNERS; set "format": "gitlab"' });
      value.sections.forEach((s: unknown, i: number) => {
        const at = `owners.sections[${i}]`;
        if (!isObject(s) || typeof s.name !== 'string' || s.name.trim() === '') return void problems.push({ path: at, message: 'needs a "name"' });
        const approvals = s.numberOfRequiredApprovals;
        if (approvals !== undefined && !(Number.isInteger(approvals) && (approvals as number) >= 1))
          problems.push({ path: `${at}.numberOfRequiredApprovals`, message: 'must be a whole number of at least 1' });
        if (s.defaultOwners !== undefined) checkOwners(s.defaultOwners, `${at}.defaultOwners`, 'gitlab', problems);
        sections.push({
          name: s.name,
          ...(typeof approvals === 'number' && { numberOfRequiredApprovals: approvals }),
          ...(s.optional === true && { optional: true }),
          ...(isStringArray(s.defaultOwners) && { defaultOwners: s.defaultOwners }),
          patterns: readPatterns(s.patterns, `${at}.patterns`, problems, 'gitlab', isStringArray(s.defaultOwners) && s.defaultOwners.length > 0),
        });
      });
    }
  }
  return { format, outputPath: typeof outputPath === 'string' ? outputPath : DEFAULT_OUTPUT_PATHS[format], patterns, sections };
}

function dialectOf(format: OwnersFormat): Dialect {
  return format === 'gitlab' ? 'gitlab' : 'github';
}

function checkOwners(value: unknown, at: string, dialect: Dialect, problems: OwnersConfigProblem[]): value is string[] {
  if (!isStringArray(value)) {
    problems.push({ path: at, message: 'must be an array of owners like "@user", "@org/team" or an email address' });
    return false;
  }
  value.forEach((o, i) => {
    if (!isValidOwner(o, dialect)) problems.push({ path: `${at}[${i}]`, message: `"${o}" is not an owner (@user, @org/team or an email address)` });
  });
  return true;
}

function readPatterns(value: unknown, at: string, problems: OwnersConfigProblem[], dialect: Dialect = 'github', defaults = false): OwnersPatternConfig[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ path: at, message: 'must be an array' });
    return [];
  }
  const out: OwnersPatternConfig[] = [];
  value.forEach((p: unknown, i: number) => {
    const here = `${at}[${i}]`;
    if (!isObject(p)) return void problems.push({ path: here, message: 'must be an object with "owners" and "projects" or "files"' });
    const owners = p.owners ?? (defaults ? [] : undefined);
    if (!checkOwners(owners, `${here}.owners`, dialect, problems)) return;
    if (p.projects === undefined && p.files === undefined) return void problems.push({ path: here, message: 'needs "projects" or "files"' });
    if (p.projects !== undefined && !isStringArray(p.projects)) return void problems.push({ path: `${here}.projects`, message: 'must be an array of project names, globs or tag:x' });
    if (p.files !== undefined && !isStringArray(p.files)) return void problems.push({ path: `${here}.files`, message: 'must be an array of file globs' });
    out.push({
      owners: owners as string[],
      ...(typeof p.description === 'string' && { description: p.description }),
      ...(p.projects !== undefined && { projects: p.projects as string[] }),
      ...(p.files !== undefined && { files: p.files as string[] }),
    });
  });
  return out;
}

/** A project's `owners` field (project.json) → entries; problems are pushed with the project's name. */
export function readProjectOwners(value: unknown, project: string, problems: OwnersConfigProblem[]): ProjectOwnersEntry[] {
  if (value === undefined) return [];
  const at = `${project}: owners`;
  if (!isObject(value)) {
    problems.push({ path: at, message: 'must be an object: { "<glob>": ["@owner"] }' });
    return [];
  }
  const out: ProjectOwnersEntry[] = [];
  for (const [files, v] of Object.entries(value)) {
    const entry = isObject(v) ? v : { owners: v };
    if (!checkOwners(entry.owners, `${at}["${files}"]`, 'github', problems)) continue;
    out.push({ files, owners: entry.owners as string[], ...(typeof entry.description === 'string' && { description: entry.description }) });
  }
  return out;
}

const globRegex = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '.*')}$`);

/** Projects chosen by `nx run-many -p` style specifiers, in name order. */
export function selectProjects<P extends { readonly name: string; readonly root: string; readonly tags: readonly string[] }>(projects: readonly P[], specs: readonly string[]): P[] {
  const chosen = new Set<string>();
  const test = (spec: string, p: P) => {
    if (spec.startsWith('tag:')) {
      const re = globRegex(spec.slice(4));
      return p.tags.some((t) => re.test(t));
    }
    const re = globRegex(spec);
    return re.test(p.name) || (spec.includes('/') && re.test(p.root));
  };
  for (const spec of specs) if (!spec.startsWith('!')) for (const p of projects) if (test(spec, p)) chosen.add(p.name);
  for (const spec of specs) if (spec.startsWith('!')) for (const p of projects) if (test(spec.slice(1), p)) chosen.delete(p.name);
  return projects.filter((p) => chosen.has(p.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Escapes what CODEOWNERS would otherwise read as a separator or a comment. */
function escapePath(path: string): string {
  return path.replace(/([ #\\[\]])/g, '\\$1');
}

/** A project's root as an anchored directory pattern (`/libs/a/`); the repository root is `*`. */
function rootPattern(root: string): string {
  return root === '' ? '*' : `/${escapePath(root)}/`;
}

function filePattern(glob: string, root = ''): string {
  const clean = glob.replace(/^\.?\//, '');
  const full = root === '' ? clean : `${root}/${clean}`;
  return `/${full.replace(/ /g, '\\ ').replace(/#/g, '\\#')}`;
}

export const GENERATED_HEADER = [
  '# Generated by `kiln owners generate` from the "owners" settings in nx.json and project.json.',
  '# Do not edit by hand: change those settings and run `kiln owners generate` again.',
];

export function generateCodeowners(config: OwnersConfig, projects: readonly GenerateProject[], problems: OwnersConfigProblem[] = []): string {
  const lines: string[] = [...GENERATED_HEADER];
  const block = (description: string | undefined, entries: string[]) => {
    if (entries.length === 0) return;
    lines.push('');
    if (description) for (const d of description.split('\n')) lines.push(`# ${d}`.trimEnd());
    lines.push(...entries);
  };
  const patternLines = (p: OwnersPatternConfig, where: string): string[] => {
    const owners = p.owners.length ? ` ${p.owners.join(' ')}` : '';
    const out: string[] = [];
    if (p.projects) {
      const selected = selectProjects(projects, p.projects);
      if (selected.length === 0) problems.push({ path: where, message: `"projects" ${JSON.stringify(p.projects)} selects no project` });
      for (const project of selected) out.push(`${rootPattern(project.root)}${owners}`);
    }
    for (const f of p.files ?? []) out.push(`${filePattern(f)}${owners}`);
    return out;
  };

  config.patterns.forEach((p, i) => block(p.description, patternLines(p, `owners.patterns[${i}]`)));
  for (const project of [...projects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    for (const entry of project.owners) {
      const description = entry.description ? `${project.name}: ${entry.description}` : `${project.name}`;
      block(description, [`${filePattern(entry.files, project.root)} ${entry.owners.join(' ')}`]);
    }
  }
  if (dialectOf(config.format) === 'gitlab')
    config.sections.forEach((s, i) => {
      const header = `${s.optional ? '^' : ''}[${s.name}]${s.numberOfRequiredApprovals && s.numberOfRequiredApprovals > 1 ? `[${s.numberOfRequiredApprovals}]` : ''}${s.defaultOwners?.length ? ` ${s.defaultOwners.join(' ')}` : ''}`;
      lines.push('', header);
      s.patterns.forEach((p, j) => {
        const entries = patternLines(p, `owners.sections[${i}].patterns[${j}]`);
        if (entries.length === 0) return;
        if (p.description) for (const d of p.description.split('\n')) lines.push(`# ${d}`.trimEnd());
        lines.push(...entries);
      });
    });
  return `${lines.join('\n')}\n`;
}

/** A project's ownership as its settings declare it, before validation. */
export interface ProjectOwnersSettings {
  readonly name: string;
  /** Repository-relative root; `''` is the repository root. */
  readonly root: string;
  readonly tags: readonly string[];
  /** Its `owners` value as written (project.json, or package.json "nx"). */
  readonly owners: unknown;
  /** The file that declares it, where its problems are reported. */
  readonly file: string;
}

/** A configuration problem and the file it is in (`nx.json` or a project's config file). */
export interface LocatedOwnersProblem extends OwnersConfigProblem {
  readonly file: string;
}

/**
 * The CODEOWNERS text that nx.json's `owners` and the projects' own `owners` describe, and
 * where it goes (repository-relative); `undefined` when nothing declares owners. Every problem
 * found is returned, located at its file; no text is made then.
 */
export function codeownersFromSettings(
  nxOwners: unknown,
  projects: readonly ProjectOwnersSettings[],
): Result<{ text: string; outputPath: string } | undefined, LocatedOwnersProblem[]> {
  const problems: LocatedOwnersProblem[] = [];
  const locate = (file: string, list: readonly OwnersConfigProblem[]) => problems.push(...list.map((p) => ({ ...p, file })));
  const nxProblems: OwnersConfigProblem[] = [];
  const config = readOwnersConfig(nxOwners, nxProblems);
  locate('nx.json', nxProblems);
  const generating: GenerateProject[] = projects.map((p) => {
    const list: OwnersConfigProblem[] = [];
    const owners = readProjectOwners(p.owners, p.name, list);
    locate(p.file, list);
    return { name: p.name, root: p.root, tags: p.tags, owners };
  });
  if (problems.length) return err(problems);
  if (!config && generating.every((p) => p.owners.length === 0)) return ok(undefined);
  const effective = config ?? readOwnersConfig(true, [])!;
  const generateProblems: OwnersConfigProblem[] = [];
  const text = generateCodeowners(effective, generating, generateProblems);
  locate('nx.json', generateProblems);
  if (problems.length) return err(problems);
  return ok({ text, outputPath: effective.outputPath });
}
