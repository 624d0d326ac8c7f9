/**
 * The approval check of a pull request: changed files → owners per file → groups whose approval
 * is required → which groups the given approvals leave missing. Pure: the changed files and the
 * approvals come in as data (the CLI gets them from git and flags; a bot could get them from an API).
 *
 * GitHub: each distinct owner list of a changed file is one group; any one of its owners approving
 * satisfies it. GitLab: a group per section and owner list, needing the section's approval count
 * (`[Name][2]`) from distinct owners; optional sections (`^[Name]`) are listed but never required.
 * The author's own approval never counts. Team handles count only when given as approvers
 * themselves: membership is not known offline.
 */
import type { OwnersMatcher } from './matcher.js';

export interface ApprovalGroup {
  /** Owners, as written in CODEOWNERS; any of them may approve. */
  readonly owners: readonly string[];
  /** Changed files this group owns, sorted. */
  readonly files: readonly string[];
  /** Approvals needed from distinct owners of the group. */
  readonly approvals: number;
  /** GitLab section name (as written); absent for GitHub. */
  readonly section?: string;
  readonly optional: boolean;
  /** Owners of the group that approved (the author excluded). */
  readonly approvedBy: readonly string[];
  readonly satisfied: boolean;
}

export interface ApprovalCheck {
  /** Each changed file and its owners (empty: unowned). */
  readonly files: Record<string, string[]>;
  /** Owner lists whose approval is required (one approval from each list; GitLab: see `groups`). */
  readonly required: string[][];
  /** The required owner lists not yet satisfied. */
  readonly missing: string[][];
  readonly satisfied: boolean;
  readonly groups: ApprovalGroup[];
  /** Changed files nobody owns: anyone with write access may approve them. */
  readonly unowned: string[];
}

export interface ApprovalOptions {
  /** Who approved, e.g. `@alice`, `@org/team`, an email. */
  readonly approvedBy?: readonly string[];
  /** The pull request's author, whose approval does not count. */
  readonly author?: string;
}

const norm = (owner: string): string => owner.trim().toLowerCase();

export function checkApprovals(matcher: OwnersMatcher, changed: readonly string[], options: ApprovalOptions = {}): ApprovalCheck {
  const author = options.author ? norm(options.author) : undefined;
  const approvers = new Set((options.approvedBy ?? []).map(norm).filter((a) => a !== author));
  const sections = new Map(matcher.parsed.sections.map((s) => [s.key, s]));
  const files: Record<string, string[]> = {};
  const unowned: string[] = [];
  const groups = new Map<string, { owners: readonly string[]; files: string[]; section: string }>();

  for (const path of [...new Set(changed)].sort()) {
    const result = matcher.ownersOf(path);
    files[path] = [...result.owners];
    if (result.owners.length === 0) unowned.push(path);
    for (const match of result.matches) {
      if (match.rule.owners.length === 0) continue;
      const key = `${match.section}\u0000${match.rule.owners.map(norm).sort().join(' ')}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { owners: match.rule.owners, files: [], section: match.section }));
      group.files.push(path);
    }
  }

  const list: ApprovalGroup[] = [...groups.values()].map((g) => {
    const section = sections.get(g.section);
    const gitlab = matcher.parsed.dialect === 'gitlab';
    const approvals = gitlab ? (section?.approvals ?? 1) : 1;
    const approvedBy = g.owners.filter((o) => approvers.has(norm(o)));
    return {
      owners: g.owners,
      files: g.files,
      approvals,
      ...(gitlab && { section: section?.name || '(default)' }),
      optional: gitlab && (section?.optional ?? false),
      approvedBy,
      satisfied: approvedBy.length >= approvals,
    };
  });
  list.sort((a, b) => (a.section ?? '').localeCompare(b.section ?? '') || a.owners.join(' ').localeCompare(b.owners.join(' ')));
  const required = list.filter((g) => !g.optional);
  const missing = required.filter((g) => !g.satisfied);
  return {
    files,
    required: required.map((g) => [...g.owners]),
    missing: missing.map((g) => [...g.owners]),
    satisfied: missing.length === 0,
    groups: list,
    unowned,
  };
}
