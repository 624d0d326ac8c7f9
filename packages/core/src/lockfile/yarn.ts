import { err, ok, type Diagnostic, type Result } from '../model/index.js';
import { unreadable, yamlDocuments } from './located.js';
import type { LockedPackage, Lockfile } from './types.js';

interface Entry {
  readonly descriptors: string[];
  readonly fields: Record<string, string>;
  readonly dependencies: Record<string, string>;
}

/**
 * Parses `yarn.lock`: the classic format (yarn 1, its own indentation syntax) and the Berry format
 * (yarn 2+, YAML with `__metadata`). An entry answers one or more descriptors (`name@range`); the
 * instance is what it resolved to. Berry also lists each workspace with its dependencies, which
 * become importers; classic does not, so a consumer's use of a name there reaches every pinned
 * version of that name (see `resolveAllFrom`).
 */
export function parseYarnLockfile(text: string, file = 'yarn.lock'): Result<Lockfile, Diagnostic> {
  let entries: Entry[];
  const berry = /^__metadata:/m.test(text);
  if (berry) {
    const docs = yamlDocuments(text, file);
    if (!docs.ok) return docs;
    entries = berryEntries(docs.value.at(-1) as Record<string, unknown>);
  } else {
    const classic = classicEntries(text);
    if ('line' in classic) return err(unreadable(file, `unexpected line "${classic.text}" (not a yarn.lock entry)`, classic.line, 1));
    entries = classic;
  }
  const descriptors = new Map<string, string>();
  const packages = new Map<string, LockedPackage>();
  const pending: { id: string; deps: Record<string, string> }[] = [];
  const importers = new Map<string, readonly string[]>();
  const importerDeps: { dir: string; deps: Record<string, string> }[] = [];
  for (const e of entries) {
    const first = e.descriptors[0]!;
    const name = nameOf(first);
    const resolution = e.fields.resolution ?? `${name}@${e.fields.version ?? ''}`;
    const workspace = /@workspace:(.*)$/.exec(resolution);
    if (berry && workspace) {
      const dir = workspace[1] === '.' ? '' : workspace[1]!.replace(/\/$/, '');
      importers.set(dir, Object.keys(e.dependencies).sort());
      importerDeps.push({ dir, deps: e.dependencies });
      for (const d of e.descriptors) descriptors.set(d, '');
      continue;
    }
    const id = resolution;
    for (const d of e.descriptors) descriptors.set(d, id);
    if (packages.has(id)) continue;
    packages.set(id, {
      id,
      name,
      version: e.fields.version ?? '',
      integrity: e.fields.checksum ?? e.fields.integrity ?? e.fields.resolved,
      dependencies: Object.keys(e.dependencies).sort(),
    });
    pending.push({ id, deps: e.dependencies });
  }
  const lookup = (name: string, range: string): string | undefined => {
    const id = descriptors.get(`${name}@${range}`) ?? (berry && !range.includes(':') ? descriptors.get(`${name}@npm:${range}`) : undefined);
    return id === '' ? undefined : id;
  };
  const edges = new Map<string, ReadonlyMap<string, string>>();
  for (const { id, deps } of pending) {
    const out = new Map<string, string>();
    for (const [dep, range] of Object.entries(deps)) {
      const to = lookup(dep, range);
      if (to !== undefined) out.set(dep, to);
    }
    edges.set(id, out);
  }
  const importerResolutions = new Map<string, ReadonlyMap<string, string>>();
  for (const { dir, deps } of importerDeps) {
    const out = new Map<string, string>();
    // A workspace dependency resolves to '' so resolution stops there: it is a project-graph edge.
    for (const [dep, range] of Object.entries(deps)) out.set(dep, range.startsWith('workspace:') ? '' : (lookup(dep, range) ?? ''));
    importerResolutions.set(dir, out);
  }
  return ok({ kind: 'yarn', packages, importers, edges, ...(berry && { importerResolutions }) });
}

/** `@scope/name@npm:^1` → `@scope/name`. */
function nameOf(descriptor: string): string {
  const at = descriptor.indexOf('@', 1);
  return at === -1 ? descriptor : descriptor.slice(0, at);
}

const unquote = (s: string): string => (s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s);

/** Yarn 1's format: `"a@^1", a@^1.1:` headers, two-space fields, four-space dependency lines; or the first line that is none of these. */
function classicEntries(text: string): Entry[] | { line: number; text: string } {
  const entries: Entry[] = [];
  let current: Entry | undefined;
  let section: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      if (!line.endsWith(':')) return { line: n + 1, text: line };
      current = {
        descriptors: line
          .slice(0, -1)
          .split(',')
          .map((d) => unquote(d.trim())),
        fields: {},
        dependencies: {},
      };
      entries.push(current);
      section = undefined;
    } else if (current === undefined) return { line: n + 1, text: line };
    else if (indent <= 2) {
      if (line.endsWith(':')) section = line.slice(0, -1);
      else {
        section = undefined;
        const space = line.indexOf(' ');
        current.fields[line.slice(0, space)] = unquote(line.slice(space + 1).trim());
      }
    } else if (section === 'dependencies' || section === 'optionalDependencies') {
      const space = line.lastIndexOf(' ');
      current.dependencies[unquote(line.slice(0, space).trim())] = unquote(line.slice(space + 1).trim());
    }
  }
  return entries;
}

/** Yarn 2+: YAML, keys are comma-separated descriptors, `resolution` and `checksum` per entry. */
function berryEntries(doc: Record<string, unknown>): Entry[] {
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(doc ?? {})) {
    if (key === '__metadata' || value === null || typeof value !== 'object') continue;
    const v = value as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const f of ['version', 'resolution', 'checksum']) if (v[f] !== undefined) fields[f] = String(v[f]);
    const dependencies: Record<string, string> = {};
    for (const group of [v.dependencies, v.optionalDependencies])
      if (group && typeof group === 'object') for (const [n, r] of Object.entries(group as Record<string, unknown>)) dependencies[n] = String(r);
    entries.push({ descriptors: key.split(',').map((d) => d.trim()), fields, dependencies });
  }
  return entries;
}
