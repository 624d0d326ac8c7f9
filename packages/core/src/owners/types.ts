/** The data a CODEOWNERS file turns into; shared by the parser, matcher, linter and approval check. */

/** Whose rules a file follows: GitHub's (last match wins) or GitLab's (sections, owners unioned). */
export type Dialect = 'github' | 'gitlab';

/** One rule: a pattern and the owners it gives (GitLab: after the section's default owners apply). */
export interface CodeownersRule {
  /** Position among the file's valid rules, 0-based; later rules win. */
  readonly index: number;
  /** 1-based line and column of the pattern. */
  readonly line: number;
  readonly column: number;
  /** The pattern as written, escapes included (without GitLab's leading `!`). */
  readonly pattern: string;
  /** Owners in the order written, e.g. `@user`, `@org/team`, `a@b.example`; empty: unowned. */
  readonly owners: readonly string[];
  /** Where each owner is written (the section header's line for GitLab default owners), aligned with `owners`. */
  readonly ownersAt: readonly { readonly line: number; readonly column: number }[];
  /** GitLab: the owners came from the section header, not the line. */
  readonly defaultOwners?: boolean;
  /** GitLab: the section's key (lower-case name; `''` for rules before the first header). */
  readonly section: string;
  /** GitLab `!pattern`: paths it matches need no approval from this section. */
  readonly exclusion?: boolean;
}

/** A GitLab section; GitHub files have the one default section `''`. */
export interface CodeownersSection {
  /** Lower-case name, the key rules refer to; `''` for rules before the first header. */
  readonly key: string;
  /** The name as first written. */
  readonly name: string;
  readonly optional: boolean;
  /** Approvals required from the section's owners (GitLab `[Name][2]`); 1 by default. */
  readonly approvals: number;
  /** 1-based line of the first header, or 0 for the default section. */
  readonly line: number;
}

/**
 * A problem in the file itself, worded as GitHub words it (`Invalid pattern on line 3: ...`).
 * Lines with an error are skipped; the rest of the file still applies.
 */
export interface OwnersFinding {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Stable kebab-case rule id, e.g. `invalid-pattern`, `unknown-owner`, `shadowed`. */
  readonly rule: OwnersRuleId;
  readonly message: string;
  readonly severity: 'error' | 'warning';
  /** Set on a syntax finding whose whole line was left out (GitHub drops a line with a bad owner; GitLab only the owner). */
  readonly lineSkipped?: true;
}

export type OwnersRuleId =
  | 'invalid-pattern'
  | 'invalid-owner'
  | 'invalid-section'
  | 'inline-comment'
  | 'missing-owner'
  | 'unknown-owner'
  | 'pattern-matches-nothing'
  | 'shadowed'
  | 'unowned-project'
  | 'unowned-files'
  | 'file-too-large';

export interface ParsedCodeowners {
  /** Repository-relative path of the file the rules came from. */
  readonly file: string;
  readonly dialect: Dialect;
  readonly rules: readonly CodeownersRule[];
  /** Sections in the order first seen; GitHub files have exactly one, key `''`. */
  readonly sections: readonly CodeownersSection[];
  /** Syntax problems found while parsing. */
  readonly findings: readonly OwnersFinding[];
}

/** What decided a path's owners in one section. */
export interface OwnersMatch {
  /** The section key (`''` for GitHub). */
  readonly section: string;
  /** The deciding rule. */
  readonly rule: CodeownersRule;
}

/** A path's owners and the lines that decided them. */
export interface PathOwners {
  /** Owners, deduplicated in first-seen order; empty when unowned. */
  readonly owners: readonly string[];
  /** One deciding rule per section that has one (GitHub: at most one). */
  readonly matches: readonly OwnersMatch[];
}
