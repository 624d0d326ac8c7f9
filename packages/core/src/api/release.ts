/**
 * `kiln release`: plan each release project's next version from its conventional commits
 * (release/plan.ts), then, unless dry-running, write versions, changelogs, one release commit
 * and one tag per project. Reading tags and logs goes through scm/history.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { commitPaths, commitsTouching, commitTime, createTag, tagsMergedInto } from '../scm/index.js';
import { diagnostic, KilnError } from '../model/index.js';
import {
  currentVersion,
  dependencyClosure,
  formatTag,
  planRelease,
  prependChangelog,
  renderChangelogEntry,
  type Bump,
  type PlannedCommit,
  type ReleaseContext,
  type ReleaseNote,
} from '../release/index.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';

export interface ReleaseOptions {
  /** Limit to these projects (each must be a release project). */
  readonly projects?: readonly string[];
  readonly dryRun?: boolean;
  readonly skipVersions?: boolean;
  readonly skipChangelog?: boolean;
  readonly skipCommit?: boolean;
  readonly skipTags?: boolean;
}

export interface ReleasedProject {
  readonly current: string;
  readonly next: string;
  readonly bump: Bump;
  readonly commits: readonly PlannedCommit[];
  readonly dependencyBumps: readonly { readonly project: string; readonly version: string }[];
  /** The tag this release gets (created unless dry-running or --skip-tags). */
  readonly tag: string;
}

export interface ReleaseResult {
  readonly projects: Readonly<Record<string, ReleasedProject>>;
  /** Malformed commit headers that were skipped (a note each, never a failure). */
  readonly skipped: readonly ReleaseNote[];
  /** Files written, repo-relative. */
  readonly written: readonly string[];
  readonly commit: string | null;
  readonly tags: readonly string[];
}

export async function releaseIn(ctx: ReleaseContext, options: ReleaseOptions = {}): Promise<ReleaseResult> {
  const config = releaseConfig(ctx);
  // nx.json release.git.commit/tag and release.changelog.projectChangelogs set the defaults the flags override.
  const skipChangelog = options.skipChangelog ?? !config.release.changelog;
  const skipCommit = options.skipCommit ?? !config.release.commit;
  const skipTags = options.skipTags ?? !config.release.tag;
  const selected = requireProjects(ctx, options.projects ?? config.release.projects, config.release.projects, 'release project');
  const byName = new Map(ctx.projects.map((p) => [p.name, p]));
  const tags = await tagsMergedInto(ctx.root);

  const current = new Map<string, Awaited<ReturnType<typeof currentVersion>>>();
  const inputs = [];
  for (const project of selected) {
    const cur = await currentVersion(ctx, config, project, tags);
    current.set(project.name, cur);
    const roots = dependencyClosure(ctx, project.name).map((n) => byName.get(n)!.root);
    const commits = await commitsTouching(ctx.root, roots.includes('') ? [''] : roots, cur.tag);
    inputs.push({ name: project.name, current: cur.version, commits, dependencies: project.dependencies });
  }
  const plan = planRelease(inputs);

  const projects: Record<string, ReleasedProject> = {};
  for (const [name, p] of Object.entries(plan.projects))
    projects[name] = { current: p.current, next: p.next, bump: p.bump, commits: p.commits, dependencyBumps: p.dependencyBumps, tag: formatTag(config.release.tagPattern, { projectName: name, version: p.next }) };

  const written: string[] = [];
  let commit: string | null = null;
  const created: string[] = [];
  if (options.dryRun || Object.keys(projects).length === 0) return { projects, skipped: plan.skipped, written, commit, tags: created };

  const existing = new Set(tags);
  const clash = Object.values(projects).filter((p) => existing.has(p.tag));
  if (clash.length > 0 && !skipTags)
    throw new KilnError(clash.map((p) => diagnostic('release-tag-exists', `tag "${p.tag}" already exists.`, { hint: 'Delete it, or pass --skip-tags.' })));

  const date = new Date((await commitTime(ctx.root)) * 1000).toISOString().slice(0, 10);
  for (const [name, p] of Object.entries(projects)) {
    const project = byName.get(name)!;
    if (!options.skipVersions) {
      const file = current.get(name)!.manifest.file;
      const text = await readFile(join(ctx.root, file), 'utf8');
      const edits = modify(text, ['version'], p.next, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
      await writeFile(join(ctx.root, file), applyEdits(text, edits));
      written.push(file);
    }
    if (!skipChangelog) {
      const file = project.root === '' ? 'CHANGELOG.md' : `${project.root}/CHANGELOG.md`;
      const before = await readFile(join(ctx.root, file), 'utf8').catch(() => undefined);
      await writeFile(join(ctx.root, file), prependChangelog(before, renderChangelogEntry(plan.projects[name]!, date)));
      written.push(file);
    }
  }
  if (!skipCommit && written.length > 0) {
    const list = Object.entries(projects).map(([name, p]) => `- ${name}@${p.next}`);
    commit = await commitPaths(ctx.root, written, `chore(release): publish\n\n${list.join('\n')}`);
  }
  if (!skipTags)
    for (const p of Object.values(projects)) {
      await createTag(ctx.root, p.tag);
      created.push(p.tag);
    }
  return { projects, skipped: plan.skipped, written: written.sort(), commit, tags: created };
}

/** `kiln release` for the workspace containing `cwd`. */
export async function release(options: ReleaseOptions & { readonly cwd: string }): Promise<ReleaseResult> {
  return releaseIn(await loadReleaseContext(options.cwd), options);
}
