/**
 * Resolving an import specifier to a workspace project, an npm package, or nothing. Pure.
 *
 * Order, as Nx's TargetProjectLocator: relative paths by location (an import may reach into
 * another project's folder); root tsconfig `paths` (exact, then the longest `*` pattern);
 * Node built-ins are nothing; then by package name, including subpaths (`@acme/connection/pool`).
 * Unlike Nx, a workspace package matches by name whether or not it declares `main`/`exports`
 * and whether or not `node_modules` has been installed (Nx then needs one of those).
 */
import { isBuiltin } from 'node:module';
import { toRepoPath, type ProjectName } from '../model/index.js';
import type { Project, TsconfigPaths } from '../workspace/index.js';
import type { ProjectIndex } from './project-index.js';

export type Resolution = { readonly project: ProjectName } | { readonly external: string } | undefined;

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(specifier: string): string {
  const slash = specifier.indexOf('/');
  if (specifier.startsWith('@')) {
    if (slash < 0) return specifier;
    const second = specifier.indexOf('/', slash + 1);
    return second < 0 ? specifier : specifier.slice(0, second);
  }
  return slash < 0 ? specifier : specifier.slice(0, slash);
}

const npmName = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** `dir` joined with a relative specifier; the common `./name` form without the general normaliser. */
function joinRelative(fromFile: string, specifier: string): string | undefined {
  const slash = fromFile.lastIndexOf('/');
  const dir = slash < 0 ? '' : fromFile.slice(0, slash);
  if (specifier.charCodeAt(1) === 47 /* ./ */ && !specifier.includes('/.', 1) && !specifier.endsWith('/')) {
    return dir === '' ? specifier.slice(2) : `${dir}/${specifier.slice(2)}`;
  }
  return toRepoPath(dir === '' ? specifier : `${dir}/${specifier}`);
}

export class ImportResolver {
  private readonly packages = new Map<string, ProjectName>();
  private readonly exactPaths = new Map<string, readonly string[]>();
  private readonly patternPaths: { prefix: string; suffix: string; targets: readonly string[] }[] = [];
  private readonly cache = new Map<string, Resolution>();

  constructor(
    projects: Iterable<Project>,
    readonly locator: ProjectIndex<ProjectName>,
    private readonly tsconfig?: TsconfigPaths,
  ) {
    for (const p of projects) if (p.packageJson?.name) this.packages.set(p.packageJson.name, p.name);
    for (const [key, targets] of Object.entries(tsconfig?.paths ?? {})) {
      const parts = key.split('*');
      if (parts.length === 1) this.exactPaths.set(key, targets);
      else if (parts.length === 2) this.patternPaths.push({ prefix: parts[0]!, suffix: parts[1]!, targets });
    }
  }

  /** The project a package name belongs to (for package.json dependencies). */
  projectOfPackage(name: string): ProjectName | undefined {
    return this.packages.get(name);
  }

  /** Resolves `specifier` imported from the repo file `fromFile`. */
  resolve(specifier: string, fromFile: string): Resolution {
    const c0 = specifier.charCodeAt(0);
    if (c0 === 46 /* . */) {
      if (!(specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../'))) return undefined;
      const path = joinRelative(fromFile, specifier);
      if (path === undefined || path.startsWith('node_modules/') || path.includes('/node_modules/')) return undefined;
      const project = this.locator.projectOf(path);
      return project === undefined ? undefined : { project };
    }
    let hit = this.cache.get(specifier);
    if (hit === undefined && !this.cache.has(specifier)) {
      hit = this.resolveBare(specifier);
      this.cache.set(specifier, hit);
    }
    return hit;
  }

  private resolveBare(specifier: string): Resolution {
    const c0 = specifier.charCodeAt(0);
    if (c0 === 47 /* / */ || c0 === 35 /* # */ || specifier.includes(':') && !specifier.startsWith('@')) {
      // absolute paths, package.json "imports" (#x), and node:/data:/http: URLs
      return undefined;
    }
    const mapped = this.viaTsconfig(specifier);
    if (mapped !== null) return mapped;
    if (isBuiltin(specifier)) return undefined;
    const name = packageNameOf(specifier);
    const project = this.packages.get(name);
    if (project !== undefined) return { project };
    return npmName.test(name) ? { external: name } : undefined;
  }

  /** `null` when no `paths` key matches; otherwise the project the mapping lands in (or undefined: an alias within no project). */
  private viaTsconfig(specifier: string): Resolution | null {
    if (!this.tsconfig) return null;
    let targets = this.exactPaths.get(specifier);
    let star: string | undefined;
    if (targets === undefined) {
      let best: (typeof this.patternPaths)[number] | undefined;
      for (const p of this.patternPaths) {
        if (
          specifier.length >= p.prefix.length + p.suffix.length &&
          specifier.startsWith(p.prefix) &&
          specifier.endsWith(p.suffix) &&
          (best === undefined || p.prefix.length > best.prefix.length)
        )
          best = p;
      }
      if (best === undefined) return null;
      targets = best.targets;
      star = specifier.slice(best.prefix.length, specifier.length - best.suffix.length);
    }
    for (const t of targets) {
      const target = star === undefined ? t : t.replace('*', star);
      const path = toRepoPath(this.tsconfig.base === '' ? target : `${this.tsconfig.base}/${target}`);
      if (path === undefined || path.startsWith('node_modules/') || path.includes('/node_modules/')) continue;
      const project = this.locator.projectOf(path);
      if (project !== undefined) return { project };
    }
    return undefined;
  }
}
