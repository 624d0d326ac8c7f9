/**
 * Edge: a project's current version, for release and artifact: its last release tag (the tags
 * come in as data), else the `version` in its package.json or project.json, read from disk.
 * Listing tags is scm/'s; writing new versions is apply.ts's.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { parseJson } from '../workspace/index.js';
import type { KilnReleaseConfig } from './config.js';
import type { ReleaseContext, ReleaseProjectInfo } from './context.js';
import { parseSemVer, type SemVer } from './semver.js';
import { latestTag } from './tags.js';

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
    // The workspace's one JSON reader, keeping positions: a problem is reported at its line and column.
    const parsed = parseJson(text, file);
    if (!parsed.ok) throw new KilnError(parsed.error.map((d) => ({ ...d, code: 'manifest-invalid' })));
    const manifest = parsed.value.value;
    const version = typeof manifest === 'object' && manifest !== null && !Array.isArray(manifest) ? (manifest as { version?: unknown }).version : undefined;
    if (version === undefined && name === 'package.json') {
      // A package.json without a version: a project.json beside it may hold it.
      const other = await readFile(join(ctx.root, project.root, 'project.json'), 'utf8').catch(() => undefined);
      if (other === undefined) return { version: undefined, file };
      continue;
    }
    if (version !== undefined && (typeof version !== 'string' || !parseSemVer(version)))
      throw new KilnError(diagnostic('manifest-bad-version', `the version ${JSON.stringify(version)} is not a semantic version.`, { location: parsed.value.locate(['version']) }));
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
