/**
 * What release, artifact and promote need to know about a workspace, and the version lookups
 * they share: each project's current version (its last release tag, else its manifest) and the
 * versions of the workspace packages a project contains.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, didYouMean, KilnError } from '../model/index.js';
import { formatSemVer, latestTag, parseSemVer, resolveReleaseConfig, type KilnReleaseConfig, type SemVer } from '../release/index.js';

export interface ReleaseProjectInfo {
  readonly name: string;
  /** Repo-relative (workspace-relative) root; `''` is the workspace root. */
  readonly root: string;
  readonly tags: readonly string[];
  readonly projectType?: 'application' | 'library';
  readonly type?: string;
  /** Direct workspace dependencies, sorted. */
  readonly dependencies: readonly string[];
  /** Targets with their (unexpanded) outputs. */
  readonly targets: Readonly<Record<string, { readonly outputs?: readonly string[] }>>;
}

export interface ReleaseContext {
  /** Absolute workspace root. */
  readonly root: string;
  readonly nxJson: Record<string, unknown>;
  /** By name, sorted. */
  readonly projects: readonly ReleaseProjectInfo[];
}

export function releaseConfig(ctx: ReleaseContext): KilnReleaseConfig {
  const { config, errors } = resolveReleaseConfig(ctx.nxJson, ctx.projects);
  if (errors.length > 0) throw new KilnError(errors);
  return config;
}

/** Looks projects up by name, failing with the nearest valid name. */
export function requireProjects(ctx: ReleaseContext, names: readonly string[], allowed?: readonly string[], what = 'project'): ReleaseProjectInfo[] {
  const byName = new Map(ctx.projects.map((p) => [p.name, p]));
  const problems = [];
  const out: ReleaseProjectInfo[] = [];
  for (const n of names) {
    const p = byName.get(n);
    if (!p) problems.push(diagnostic('unknown-project', `there is no project "${n}".${didYouMean(n, byName.keys())}`));
    else if (allowed && !allowed.includes(n))
      problems.push(diagnostic('not-a-release-project', `project "${n}" is not a ${what}.`, { hint: allowed.length ? `${what}s: ${allowed.join(', ')}.` : undefined }));
    else out.push(p);
  }
  if (problems.length > 0) throw new KilnError(problems);
  return out;
}

/** The project and every project it depends on, directly or not, sorted. */
export function dependencyClosure(ctx: ReleaseContext, name: string): string[] {
  const byName = new Map(ctx.projects.map((p) => [p.name, p]));
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of byName.get(n)?.dependencies ?? []) visit(d);
  };
  visit(name);
  return [...seen].sort();
}

export interface ManifestVersion {
  readonly version: SemVer | undefined;
  /** The file that holds (or will hold) the version: package.json, else project.json. */
  readonly file: string;
}

/** The version in the project's package.json (`version`), else its project.json (`version`). */
export async function manifestVersion(ctx: ReleaseContext, project: ReleaseProjectInfo): Promise<ManifestVersion> {
  for (const name of ['package.json', 'project.json']) {
    const file = project.root === '' ? name : `${project.root}/${name}`;
    let text: string;
    try {
      text = await readFile(join(ctx.root, file), 'utf8');
    } catch {
      continue;
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { version?: unknown }).version;
    } catch {
      throw new KilnError(diagnostic('manifest-invalid', `${file} is not valid JSON.`, { location: { file } }));
    }
    if (version === undefined && name === 'package.json') {
      // A package.json without a version: a project.json beside it may hold it.
      const other = await readFile(join(ctx.root, project.root, 'project.json'), 'utf8').catch(() => undefined);
      if (other === undefined) return { version: undefined, file };
      continue;
    }
    if (version !== undefined && (typeof version !== 'string' || !parseSemVer(version)))
      throw new KilnError(diagnostic('manifest-bad-version', `${file} has version ${JSON.stringify(version)}, which is not a semantic version.`, { location: { file } }));
    return { version: version === undefined ? undefined : parseSemVer(version as string), file };
  }
  throw new KilnError(diagnostic('manifest-missing', `project "${project.name}" has neither package.json nor project.json in ${project.root || '.'}.`));
}

export interface CurrentVersion {
  readonly version: SemVer;
  readonly source: 'tag' | 'manifest' | 'none';
  /** The last release tag, when the version came from one. */
  readonly tag?: string;
  readonly manifest: ManifestVersion;
}

export async function currentVersion(ctx: ReleaseContext, config: KilnReleaseConfig, project: ReleaseProjectInfo, tags: readonly string[]): Promise<CurrentVersion> {
  const manifest = await manifestVersion(ctx, project);
  const last = latestTag(config.release.tagPattern, project.name, tags);
  if (last) return { version: last.version, source: 'tag', tag: last.tag, manifest };
  if (manifest.version) return { version: manifest.version, source: 'manifest', manifest };
  return { version: { major: 0, minor: 0, patch: 0, prerelease: [] }, source: 'none', manifest };
}

export const versionText = formatSemVer;
