/**
 * Release and artifact settings, pure: Nx's `release` block of nx.json (`projects`,
 * `projectsRelationship`, `releaseTag.pattern` or the older `releaseTagPattern`,
 * `version.conventionalCommits`, `changelog`, `git`) and kiln's own `kiln.artifacts`,
 * `kiln.registry` and `kiln.environments`. Wrong types are errors; unknown keys are ignored.
 */
import micromatch from 'micromatch';
import { diagnostic, type Diagnostic } from '../model/index.js';
import type { ContainerConfig, Platform } from './oci.js';
import { DEFAULT_FIXED_TAG_PATTERN, DEFAULT_INDEPENDENT_TAG_PATTERN, patternNamesProject } from './tags.js';

export interface ProjectRef {
  readonly name: string;
  readonly tags: readonly string[];
  /** Nx's projectType, when set. */
  readonly projectType?: 'application' | 'library';
  readonly type?: string;
}

export interface ReleaseConfig {
  /** Names matching `release.projects` (all projects when it is absent), sorted. */
  readonly projects: readonly string[];
  readonly independent: boolean;
  readonly tagPattern: string;
  readonly conventionalCommits: boolean;
  /** Nx's `release.changelog.projectChangelogs` (default true): write CHANGELOG.md per project. */
  readonly changelog: boolean;
  /** Nx's `release.git.commit` (default true). */
  readonly commit: boolean;
  /** Nx's `release.git.tag` (default true). */
  readonly tag: boolean;
}

export interface ArtifactSettings {
  /** The target that builds a service (default `build`). */
  readonly target: string;
  /** The build output to pack, relative to the workspace root with `{projectRoot}` (default: the target's first output). */
  readonly path?: string;
  /** Where the files go inside the image (default `app`). */
  readonly prefix: string;
  /** `oci:DIR[:REF]` or `[docker://]HOST/NAME:TAG`. */
  readonly base?: string;
  readonly platform: Platform;
  readonly container: ContainerConfig;
}

export interface ArtifactConfig {
  /** Projects `kiln artifact` packs by default: `kiln.artifacts.projects`, else the release projects that are applications. */
  readonly projects: readonly string[];
  /** Relative to the workspace root (default `dist/artifacts`). */
  readonly outputDir: string;
  /** `kiln.artifacts.source`: the source URL to stamp (`false`: none); default from the git remote. */
  readonly source?: string | false;
  /** Per project, the defaults with that project's `kiln.artifacts.overrides` entry on top. */
  settings(project: string): ArtifactSettings;
}

export interface KilnReleaseConfig {
  readonly release: ReleaseConfig;
  readonly artifacts: ArtifactConfig;
  /** `kiln.environments`: promotion order (empty: any environment, no order). */
  readonly environments: readonly string[];
  /** `kiln.registry`: default push destination `HOST/NAME` (may hold `{projectName}`). */
  readonly registry?: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

/** Projects matching Nx-style specifiers: names, globs on names, `tag:x`, and `!` to exclude. */
export function matchProjects(patterns: readonly string[], projects: readonly ProjectRef[]): string[] {
  const picked = new Set<string>();
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = negate ? raw.slice(1) : raw;
    for (const project of projects) {
      const hit = p.startsWith('tag:')
        ? project.tags.some((t) => micromatch.isMatch(t, p.slice(4)))
        : p === '*' || project.name === p || micromatch.isMatch(project.name, p, { dot: true });
      if (!hit) continue;
      if (negate) picked.delete(project.name);
      else picked.add(project.name);
    }
  }
  return [...picked].sort();
}

export function resolveReleaseConfig(nxJson: Json, projects: readonly ProjectRef[]): { config: KilnReleaseConfig; errors: Diagnostic[] } {
  const errors: Diagnostic[] = [];
  const bad = (path: string, expected: string) =>
    errors.push(diagnostic('invalid-config', `nx.json ${path} must be ${expected}.`, { location: { file: 'nx.json' } }));

  const release = isObject(nxJson.release) ? nxJson.release : {};
  if (nxJson.release !== undefined && !isObject(nxJson.release)) bad('"release"', 'an object');
  let patterns: string[] = ['*'];
  if (typeof release.projects === 'string') patterns = [release.projects];
  else if (isStringList(release.projects)) patterns = release.projects;
  else if (release.projects !== undefined) bad('"release.projects"', 'a string or a list of strings');
  if (release.projectsRelationship !== undefined && release.projectsRelationship !== 'independent' && release.projectsRelationship !== 'fixed')
    bad('"release.projectsRelationship"', '"independent" or "fixed"');
  const independent = release.projectsRelationship !== 'fixed';
  const tag = isObject(release.releaseTag) ? release.releaseTag.pattern : release.releaseTagPattern;
  if (tag !== undefined && typeof tag !== 'string') bad('"release.releaseTag.pattern"', 'a string');
  const tagPattern = typeof tag === 'string' ? tag : independent ? DEFAULT_INDEPENDENT_TAG_PATTERN : DEFAULT_FIXED_TAG_PATTERN;
  if (independent && !patternNamesProject(tagPattern))
    errors.push(
      diagnostic('release-tag-pattern', `nx.json "release.releaseTag.pattern" is "${tagPattern}", which cannot tell independent projects apart.`, {
        location: { file: 'nx.json' },
        hint: 'Include {projectName}, e.g. "{projectName}@{version}".',
      }),
    );
  const version = isObject(release.version) ? release.version : {};
  if (version.conventionalCommits !== undefined && typeof version.conventionalCommits !== 'boolean') bad('"release.version.conventionalCommits"', 'true or false');
  if (version.conventionalCommits === false)
    errors.push(
      diagnostic('release-needs-conventional-commits', 'kiln release computes versions from conventional commits, but nx.json sets "release.version.conventionalCommits" to false.', {
        location: { file: 'nx.json' },
        hint: 'Set it to true (or remove it).',
      }),
    );
  if (!independent)
    errors.push(
      diagnostic('release-fixed-unsupported', 'kiln versions projects independently; nx.json sets "release.projectsRelationship" to "fixed".', {
        location: { file: 'nx.json' },
        hint: 'Set "projectsRelationship": "independent".',
      }),
    );
  const releaseProjects = matchProjects(patterns, projects);
  const changelogConfig = isObject(release.changelog) ? release.changelog.projectChangelogs : undefined;
  if (changelogConfig !== undefined && typeof changelogConfig !== 'boolean' && !isObject(changelogConfig)) bad('"release.changelog.projectChangelogs"', 'true, false or an object');
  const gitConfig = isObject(release.git) ? release.git : {};
  for (const key of ['commit', 'tag'] as const)
    if (gitConfig[key] !== undefined && typeof gitConfig[key] !== 'boolean') bad(`"release.git.${key}"`, 'true or false');

  const kiln = isObject(nxJson.kiln) ? nxJson.kiln : {};
  const art = isObject(kiln.artifacts) ? kiln.artifacts : {};
  if (kiln.artifacts !== undefined && !isObject(kiln.artifacts)) bad('"kiln.artifacts"', 'an object');
  let artifactProjects: string[];
  if (isStringList(art.projects)) artifactProjects = matchProjects(art.projects, projects);
  else {
    if (art.projects !== undefined) bad('"kiln.artifacts.projects"', 'a list of strings');
    const apps = new Set(projects.filter((p) => p.projectType === 'application' || (p.projectType === undefined && p.type === 'app')).map((p) => p.name));
    artifactProjects = releaseProjects.filter((n) => apps.has(n));
  }
  const outputDir = typeof art.outputDir === 'string' ? art.outputDir : 'dist/artifacts';
  if (art.outputDir !== undefined && typeof art.outputDir !== 'string') bad('"kiln.artifacts.outputDir"', 'a string');
  if (art.source !== undefined && typeof art.source !== 'string' && art.source !== false) bad('"kiln.artifacts.source"', 'a URL or false');
  const source = typeof art.source === 'string' || art.source === false ? art.source : undefined;
  const defaults = readSettings(art, 'kiln.artifacts', bad);
  const overrides = isObject(art.overrides) ? art.overrides : {};
  if (art.overrides !== undefined && !isObject(art.overrides)) bad('"kiln.artifacts.overrides"', 'an object of project name → settings');
  const perProject = new Map<string, Partial<ArtifactSettings>>();
  for (const [name, o] of Object.entries(overrides)) {
    if (!isObject(o)) bad(`"kiln.artifacts.overrides.${name}"`, 'an object');
    else perProject.set(name, readSettings(o, `kiln.artifacts.overrides.${name}`, bad));
  }

  let environments: string[] = [];
  if (isStringList(kiln.environments)) environments = kiln.environments;
  else if (kiln.environments !== undefined) bad('"kiln.environments"', 'a list of environment names, in promotion order');
  if (kiln.registry !== undefined && typeof kiln.registry !== 'string') bad('"kiln.registry"', 'a string like "registry.example.com/shop/{projectName}"');

  const settings = (project: string): ArtifactSettings => {
    const o = perProject.get(project) ?? {};
    const merged = { ...defaults, ...o, container: { ...defaults.container, ...o.container } };
    return {
      target: merged.target ?? 'build',
      prefix: merged.prefix ?? 'app',
      platform: merged.platform ?? { os: 'linux', architecture: 'amd64' },
      container: merged.container,
      ...(merged.path !== undefined && { path: merged.path }),
      ...(merged.base !== undefined && { base: merged.base }),
    };
  };
  return {
    config: {
      release: {
        projects: releaseProjects,
        independent,
        tagPattern,
        conventionalCommits: version.conventionalCommits !== false,
        changelog: changelogConfig !== false,
        commit: gitConfig.commit !== false,
        tag: gitConfig.tag !== false,
      },
      artifacts: { projects: artifactProjects, outputDir, settings, ...(source !== undefined && { source }) },
      environments,
      ...(typeof kiln.registry === 'string' && { registry: kiln.registry }),
    },
    errors,
  };
}

function readSettings(o: Json, at: string, bad: (path: string, expected: string) => void): Partial<ArtifactSettings> & { container: ContainerConfig } {
  const out: { -readonly [K in keyof ArtifactSettings]?: ArtifactSettings[K] } = {};
  for (const key of ['target', 'path', 'prefix', 'base'] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== 'string') bad(`"${at}.${key}"`, 'a string');
    else out[key] = key === 'prefix' ? (o[key] as string).replace(/^\/+|\/+$/g, '') : (o[key] as string);
  }
  if (o.platform !== undefined) {
    const m = typeof o.platform === 'string' ? /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9]+))?$/.exec(o.platform) : null;
    if (!m) bad(`"${at}.platform"`, 'a platform like "linux/amd64" or "linux/arm64/v8"');
    else out.platform = { os: m[1]!, architecture: m[2]!, ...(m[3] && { variant: m[3] }) };
  }
  const container: { -readonly [K in keyof ContainerConfig]?: ContainerConfig[K] } = {};
  for (const key of ['entrypoint', 'cmd', 'env', 'exposedPorts'] as const) {
    if (o[key] === undefined) continue;
    if (!isStringList(o[key])) bad(`"${at}.${key}"`, 'a list of strings');
    else container[key] = o[key] as string[];
  }
  for (const key of ['workingDir', 'user'] as const) {
    if (o[key] === undefined) continue;
    if (typeof o[key] !== 'string') bad(`"${at}.${key}"`, 'a string');
    else container[key] = o[key] as string;
  }
  return { ...out, container };
}
