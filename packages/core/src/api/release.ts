/**
 * `kiln release`: plan each release project's next version from its conventional commits
 * (release/plan.ts), then, unless dry-running, write versions and changelogs (release/apply.ts),
 * one release commit and one tag per project. Reading tags and logs goes through scm/history.ts.
 */
import { commitPaths, commitsTouching, commitTime, createTag, tagsMergedInto } from '../scm/index.js';
import { KilnError } from '../model/index.js';
import {
  currentVersion,
  dependencyClosure,
  formatTag,
  planRelease,
  renderChangelogEntry,
  tagClashes,
  writeReleaseFiles,
  type Bump,
  type CurrentVersion,
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

  const current = new Map<string, CurrentVersion>();
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

  let commit: string | null = null;
  const created: string[] = [];
  if (options.dryRun || Object.keys(projects).length === 0) return { projects, skipped: plan.skipped, written: [], commit, tags: created };

  const clashes = tagClashes(Object.values(projects).map((p) => p.tag), tags);
  if (clashes.length > 0 && !skipTags) throw new KilnError(clashes);

  const date = new Date((await commitTime(ctx.root)) * 1000).toISOString().slice(0, 10);
  const written = await writeReleaseFiles(
    ctx.root,
    Object.entries(projects).map(([name, p]) => ({
      root: byName.get(name)!.root,
      version: p.next,
      ...(!options.skipVersions && { manifest: current.get(name)!.manifest.file }),
      ...(!skipChangelog && { changelogEntry: renderChangelogEntry(plan.projects[name]!, date) }),
    })),
  );
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
