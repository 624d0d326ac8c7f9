/**
 * Artifacts, pure: what they are called (file stems, OCI repository names), the build output a
 * project packs, where `--push` sends them, and the index (`artifacts.json`) that records them.
 * Packing and the index on disk are pack.ts's and records.ts's; pushing is registry.ts's.
 */
import { diagnostic, err, ok, toRepoPath, type Diagnostic, type Result } from '../model/index.js';
import type { ArtifactSettings } from './config.js';
import type { ReleaseProjectInfo } from './context.js';
import type { ArtifactRecord } from './promote.js';

export const ARTIFACT_INDEX = 'artifacts.json';

/** `@shop/catalog` → `shop__catalog`: one path segment, no `@`. */
export function artifactFileName(project: string): string {
  return project.replace(/^@/, '').replace(/\//g, '__');
}

/** `@shop/catalog` → `shop/catalog`: a valid OCI repository path. */
export function repositoryName(project: string): string {
  return project.replace(/^@/, '').toLowerCase().replace(/[^a-z0-9._/-]/g, '-');
}

/** A registry destination (`HOST/NAME`, where NAME may hold `{projectName}`) for one project. */
export function projectRepository(destination: string, project: string): string {
  return destination.replace(/\{projectName\}/g, repositoryName(project));
}

/**
 * Where `kiln artifact` pushes: `--push HOST/NAME`, or with `--push` alone (`true`) nx.json
 * `kiln.registry`; undefined when not pushing. One NAME for several projects must hold
 * `{projectName}`, or they would overwrite each other's tags.
 */
export function pushDestination(push: string | true | undefined, registry: string | undefined, projectCount: number): Result<string | undefined, Diagnostic> {
  const destination = push === true ? registry : push;
  if (push === true && !destination)
    return err(diagnostic('artifact-no-registry', '--push needs a destination.', { hint: 'Pass --push HOST/NAME or set "kiln.registry" in nx.json.' }));
  if (destination !== undefined && projectCount > 1 && !destination.includes('{projectName}'))
    return err(
      diagnostic('artifact-push-ambiguous', `--push ${destination} names one repository, but ${projectCount} projects are being packed.`, {
        hint: 'Put {projectName} in it, e.g. registry.example.com/shop/{projectName}.',
      }),
    );
  return ok(destination);
}

/**
 * The directory a project's artifact is packed from, repo-relative: its `kiln.artifacts` `path`,
 * else the first output of its build target, else `{projectRoot}/dist`. It must be one directory
 * inside the workspace, not a glob.
 */
export function artifactOutput(project: ReleaseProjectInfo, settings: ArtifactSettings): Result<string, Diagnostic> {
  const outputPattern = settings.path ?? project.targets[settings.target]?.outputs?.[0] ?? '{projectRoot}/dist';
  const outputPath = toRepoPath(outputPattern.replace(/\{projectRoot\}/g, project.root || '.').replace(/\{workspaceRoot\}\/?/g, ''));
  if (outputPath === undefined || outputPath === '' || /[*?{}[\]]/.test(outputPath))
    return err(
      diagnostic('artifact-bad-output', `project "${project.name}": the build output "${outputPattern}" is not one directory inside the workspace.`, {
        hint: 'Set kiln.artifacts.overrides.<project>.path to the directory to pack.',
      }),
    );
  return ok(outputPath);
}

/**
 * The index with `record` in it: it replaces the entry for the same project and version,
 * keeping where that was pushed when the digest is unchanged. `replacedDigest` is the digest it
 * replaced when that differs: the same version was built before from other contents.
 */
export function recordArtifact(index: readonly ArtifactRecord[], record: ArtifactRecord): { index: ArtifactRecord[]; replacedDigest?: string } {
  const previous = index.findIndex((a) => a.project === record.project && a.version === record.version);
  if (previous < 0) return { index: [...index, record] };
  const old = index[previous]!;
  const keep = old.digest === record.digest ? [...(old.pushed ?? []), ...(record.pushed ?? [])] : [...(record.pushed ?? [])];
  const updated = index.map((a, i) => (i === previous ? { ...record, ...(keep.length && { pushed: [...new Set(keep)].sort() }) } : a));
  return { index: updated, ...(old.digest !== record.digest && { replacedDigest: old.digest }) };
}

/** The text of `artifacts.json`: the records sorted by project, then version. */
export function artifactIndexText(index: readonly ArtifactRecord[]): string {
  const sorted = [...index].sort((a, b) => (a.project === b.project ? (a.version < b.version ? -1 : 1) : a.project < b.project ? -1 : 1));
  return `${JSON.stringify({ artifacts: sorted }, null, 2)}\n`;
}
