/**
 * Version planning, pure: each project's current version and the conventional commits that
 * touch it (or its dependencies) in, the next version and why out. Reading tags and logs is
 * the caller's job (api/release.ts with scm/history.ts); writing the result is apply.ts's.
 */
import { bumpOf, parseCommitMessage, type ConventionalCommit } from './commits.js';
import { adjustForZeroMajor, bumpSemVer, formatSemVer, maxBump, parseSemVer, type Bump, type SemVer } from './semver.js';

export interface CommitInput {
  readonly hash: string;
  readonly message: string;
}

export interface ProjectReleaseInput {
  readonly name: string;
  readonly current: SemVer;
  /** Commits since the project's last tag that touch its files or its dependencies' files, newest first. */
  readonly commits: readonly CommitInput[];
  /** Direct workspace dependencies (any project; only those being released can bump this one). */
  readonly dependencies: readonly string[];
}

export interface PlannedCommit extends ConventionalCommit {
  readonly hash: string;
  /** What this commit alone asks for, before the 0.x adjustment. */
  readonly bump: Bump | null;
}

export interface ProjectReleasePlan {
  readonly name: string;
  readonly current: string;
  readonly next: string;
  readonly bump: Bump;
  readonly commits: readonly PlannedCommit[];
  /** Dependencies whose new version caused (or accompanies) this release. */
  readonly dependencyBumps: readonly { readonly project: string; readonly version: string }[];
}

export interface ReleaseNote {
  readonly project: string;
  readonly hash: string;
  readonly message: string;
}

export interface ReleasePlan {
  /** Only projects that get a new version, by name. */
  readonly projects: Readonly<Record<string, ProjectReleasePlan>>;
  /** Malformed commit headers that were skipped. */
  readonly skipped: readonly ReleaseNote[];
}

export function planRelease(inputs: readonly ProjectReleaseInput[]): ReleasePlan {
  const byName = new Map(inputs.map((p) => [p.name, p]));
  const skipped: ReleaseNote[] = [];
  const own = new Map<string, { bump: Bump | undefined; commits: PlannedCommit[] }>();
  for (const p of [...inputs].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    let bump: Bump | undefined;
    const commits: PlannedCommit[] = [];
    for (const c of p.commits) {
      const parsed = parseCommitMessage(c.message);
      if (parsed.kind === 'malformed') {
        skipped.push({ project: p.name, hash: c.hash, message: `${c.message.split('\n', 1)[0]}: ${parsed.reason}` });
        continue;
      }
      if (parsed.kind === 'other') continue;
      const b = bumpOf(parsed.commit);
      bump = maxBump(bump, b);
      commits.push({ hash: c.hash, ...parsed.commit, bump: b ?? null });
    }
    own.set(p.name, { bump: bump && adjustForZeroMajor(p.current, bump), commits });
  }

  // Dependents of a bumped project get at least a patch, transitively, until nothing changes.
  const final = new Map<string, Bump | undefined>([...own].map(([n, o]) => [n, o.bump]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of byName.values()) {
      if (final.get(p.name) !== undefined) continue;
      if (p.dependencies.some((d) => final.get(d) !== undefined)) {
        final.set(p.name, 'patch');
        changed = true;
      }
    }
  }

  const next = new Map<string, SemVer>();
  for (const [name, bump] of final) if (bump) next.set(name, bumpSemVer(byName.get(name)!.current, bump));

  const projects: Record<string, ProjectReleasePlan> = {};
  for (const name of [...next.keys()].sort()) {
    const p = byName.get(name)!;
    const dependencyBumps = [...new Set(p.dependencies)]
      .filter((d) => next.has(d))
      .sort()
      .map((d) => ({ project: d, version: formatSemVer(next.get(d)!) }));
    projects[name] = {
      name,
      current: formatSemVer(p.current),
      next: formatSemVer(next.get(name)!),
      bump: final.get(name)!,
      commits: own.get(name)!.commits,
      dependencyBumps,
    };
  }
  return { projects, skipped };
}

/** Parses a version read from a tag or manifest; kept here so callers share one error shape. */
export function versionOrUndefined(text: string | undefined): SemVer | undefined {
  return text === undefined ? undefined : parseSemVer(text);
}
