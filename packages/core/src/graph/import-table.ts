/**
 * Resolving a scan's compact import table: `data` holds, per file, `[file index, nStatic,
 * nDynamic, ...specifier indices]`, indices into `files` and `specifiers` (the form the scanning
 * threads produce). Each bare specifier is resolved once, and a `./` import from a directory with
 * no project root below it is known to stay in the file's own project, so it is skipped without
 * resolving (most relative imports). Pure; what an import means is the caller's business.
 */
import type { ProjectName } from '../model/index.js';
import type { ProjectIndex } from './project-index.js';
import type { ImportResolver, Resolution } from './resolve.js';

export interface ImportTableData {
  readonly files: readonly string[];
  readonly specifiers: readonly string[];
  readonly data: Int32Array;
}

/** Where imports land: a workspace project (maybe the file's own) or an npm package. */
export type ResolvedImport = Exclude<Resolution, undefined>;

export interface ImportTableVisitor {
  /** A file of `source` begins; its imports follow. Files in no project are not visited. */
  file?(source: ProjectName): void;
  /** One import of the current file that resolved; a `./` import that stays in `source` may be left out. */
  import(source: ProjectName, target: ResolvedImport, type: 'static' | 'dynamic'): void;
}

/** Walks the tables (the shares of one scan), resolving as the header says. */
export function walkImportTables(
  tables: Iterable<ImportTableData>,
  locator: ProjectIndex<ProjectName>,
  resolver: ImportResolver,
  roots: Iterable<string>,
  visit: ImportTableVisitor,
): void {
  const nestedBelow = dirsWithRootsBelow(roots);
  for (const table of tables) walkOne(table, nestedBelow, locator, resolver, visit);
}

function walkOne({ files, specifiers, data }: ImportTableData, nestedBelow: ReadonlySet<string>, locator: ProjectIndex<ProjectName>, resolver: ImportResolver, visit: ImportTableVisitor): void {
  // Bare specifiers resolve the same from any file: once per distinct specifier of this table.
  const bare: (Resolution | null)[] = [];
  for (let i = 0; i < data.length; ) {
    const file = files[data[i]!]!;
    const staticEnd = i + 3 + data[i + 1]!;
    const end = staticEnd + data[i + 2]!;
    i += 3;
    const source = locator.projectOfFile(file);
    if (source === undefined) {
      i = end;
      continue;
    }
    visit.file?.(source);
    const slash = file.lastIndexOf('/');
    const localOnly = !nestedBelow.has(slash < 0 ? '' : file.slice(0, slash));
    for (; i < end; i++) {
      const k = data[i]!;
      const specifier = specifiers[k]!;
      let r: Resolution;
      if (specifier.charCodeAt(0) === 46 /* . */) {
        if (localOnly && specifier.charCodeAt(1) === 47 /* ./ */ && !specifier.includes('/..')) continue;
        r = resolver.resolve(specifier, file);
      } else {
        let hit = bare[k];
        if (hit === undefined) bare[k] = hit = resolver.resolve(specifier, file) ?? null;
        r = hit ?? undefined;
      }
      if (r !== undefined) visit.import(source, r, i < staticEnd ? 'static' : 'dynamic');
    }
  }
}

/** Every directory that has a project root strictly below it. */
function dirsWithRootsBelow(roots: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const root of roots) {
    if (root === '') continue;
    for (let at = root.lastIndexOf('/'); ; at = root.lastIndexOf('/', at - 1)) {
      const dir = at < 0 ? '' : root.slice(0, at);
      if (out.has(dir)) break;
      out.add(dir);
      if (at <= 0) break;
    }
  }
  return out;
}
