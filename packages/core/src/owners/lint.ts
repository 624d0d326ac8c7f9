/**
 * CODEOWNERS lint: syntax errors (from the parser), owners outside a known list, patterns that
 * match no file, lines that can never decide because a later line provably covers every path they
 * match, projects and files nobody owns. Pure: the file list, the known owners and the projects
 * come in as data. A finding is reported only when it is certain; shadowing in particular is
 * proved from the patterns' structure, never guessed from the files that happen to exist.
 */
import type { OwnersMatcher } from './matcher.js';
import { literalText, segmentMatcher, type CompiledPattern, type NameTest, type Segment } from './pattern.js';
import type { OwnersFinding } from './types.js';

export interface LintInput {
  readonly matcher: OwnersMatcher;
  /** Every file of the repository (tracked and untracked-not-ignored), repository-relative. */
  readonly files?: readonly string[];
  /** Owners allowed to appear; `*` is a wildcard (`@org/*`). Case-insensitive. Absent: not checked. */
  readonly knownOwners?: readonly string[];
  /** Projects whose root directory must have an owner. */
  readonly projects?: readonly { readonly name: string; readonly root: string }[];
}

export interface OwnersCoverage {
  readonly files: number;
  readonly owned: number;
  /** Owned files as a percentage, one decimal. */
  readonly percent: number;
  /** The files nobody owns, sorted. */
  readonly unowned: readonly string[];
}

export interface LintResult {
  readonly findings: OwnersFinding[];
  readonly coverage?: OwnersCoverage;
}

export function lintCodeowners(input: LintInput): LintResult {
  const { matcher } = input;
  const { parsed } = matcher;
  const file = parsed.file;
  const findings: OwnersFinding[] = [...parsed.findings];
  const add = (line: number, column: number, rule: OwnersFinding['rule'], message: string, severity: 'error' | 'warning' = 'warning') =>
    findings.push({ file, line, column, rule, message, severity });

  if (input.knownOwners) {
    const known = input.knownOwners.map((k) => new RegExp(`^${k.toLowerCase().replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
    const reported = new Set<string>();
    for (const rule of parsed.rules)
      rule.owners.forEach((owner, i) => {
        if (known.some((k) => k.test(owner.toLowerCase()))) return;
        const at = rule.ownersAt[i] ?? { line: rule.line, column: rule.column };
        const key = `${at.line}:${at.column}`;
        if (reported.has(key)) return;
        reported.add(key);
        const what = owner.startsWith('@') && owner.includes('/')
          ? `make sure the team ${owner} exists, is publicly visible, and has write access to the repository`
          : `make sure ${owner} exists and has write access to the repository`;
        add(at.line, at.column, 'unknown-owner', `Unknown owner on line ${at.line}: ${what} (it is not in the known owners list)`, 'error');
      });
  }

  for (const s of shadowedRules(matcher))
    add(s.rule.line, s.rule.column, 'shadowed', `Line ${s.rule.line} (\`${s.rule.pattern}\`) never decides: every path it matches is matched again by line ${s.by.line} (\`${s.by.pattern}\`), and the last match wins.`);

  let coverage: OwnersCoverage | undefined;
  if (input.files) {
    const matched = new Uint8Array(parsed.rules.length);
    const unowned: string[] = [];
    for (const path of input.files) {
      for (const r of matcher.rulesMatching(path)) matched[r] = 1;
      if (matcher.ownersOf(path).owners.length === 0) unowned.push(path);
    }
    for (const rule of parsed.rules)
      if (!matched[rule.index]) add(rule.line, rule.column, 'pattern-matches-nothing', `Pattern on line ${rule.line} (\`${rule.pattern}\`) matches no file in the repository.`);
    unowned.sort();
    const total = input.files.length;
    const owned = total - unowned.length;
    coverage = { files: total, owned, percent: total === 0 ? 100 : Math.floor((owned / total) * 1000) / 10, unowned };
    if (unowned.length > 0) {
      const shown = unowned.slice(0, 5).join(', ') + (unowned.length > 5 ? `, and ${unowned.length - 5} more` : '');
      add(0, 0, 'unowned-files', `${unowned.length} of ${total} files have no owner (coverage ${coverage.percent}%): ${shown}.`);
    }
  }

  for (const project of input.projects ?? []) {
    if (matcher.ownersOfDirectory(project.root).owners.length > 0) continue;
    const root = project.root === '' ? '.' : project.root;
    const example = project.root === '' ? '* @team' : `/${project.root}/ @team`;
    add(0, 0, 'unowned-project', `Project "${project.name}" (${root}) has no owner; add a line such as \`${example}\`.`);
  }

  findings.sort((a, b) => a.line - b.line || a.column - b.column || a.rule.localeCompare(b.rule) || a.message.localeCompare(b.message));
  return { findings, ...(coverage && { coverage }) };
}

export interface Shadowed {
  readonly rule: OwnersMatcher['parsed']['rules'][number];
  readonly by: OwnersMatcher['parsed']['rules'][number];
}

/**
 * Rules that can never decide because a later rule of the same section matches every path they
 * match. Proved structurally: the same pattern later; a later catch-all (`*`); a later floating
 * one-segment pattern (`*.js`, `logs`, `logs/`) meeting a literal segment every match must hold;
 * a later anchored literal directory (`/docs/`, `/docs`) containing everything the rule can match.
 * GitLab files get only the first test (their own rules for anchoring differ).
 */
export function shadowedRules(matcher: OwnersMatcher): Shadowed[] {
  const { parsed, compiled } = matcher;
  const rules = parsed.rules;
  const out: Shadowed[] = [];
  const lastSame = new Map<string, number>();
  for (const rule of rules) lastSame.set(`${rule.section}\u0000${rule.exclusion ? '!' : ''}${rule.pattern}`, rule.index);

  const github = parsed.dialect === 'github';
  const catchAll: number[] = [];
  const floating: { index: number; segment: NameTest; directoryOnly: boolean }[] = [];
  const prefixes: { index: number; prefix: readonly string[]; strict: boolean }[] = [];
  if (github)
    for (const rule of rules) {
      const c = compiled[rule.index]!;
      if (isCatchAll(c)) catchAll.push(rule.index);
      const single = floatingSingle(c);
      if (single) floating.push({ index: rule.index, ...single });
      const prefix = literalDirectory(c);
      if (prefix) prefixes.push({ index: rule.index, ...prefix });
    }
  const lastCatchAll = catchAll.length ? catchAll[catchAll.length - 1]! : -1;

  for (const rule of rules) {
    const same = lastSame.get(`${rule.section}\u0000${rule.exclusion ? '!' : ''}${rule.pattern}`)!;
    let by = same > rule.index ? same : -1;
    if (by < 0 && github) {
      const a = compiled[rule.index]!;
      if (lastCatchAll > rule.index) by = lastCatchAll;
      if (by < 0) {
        const literals = literalSegments(a);
        for (let k = floating.length - 1; k >= 0 && by < 0; k--) {
          const f = floating[k]!;
          if (f.index <= rule.index) break;
          if (literals.some((l) => f.segment.test(l.text) && (!f.directoryOnly || !l.mayBeLast))) by = f.index;
        }
      }
      if (by < 0 && !a.floating) {
        for (let k = prefixes.length - 1; k >= 0 && by < 0; k--) {
          const p = prefixes[k]!;
          if (p.index <= rule.index) break;
          if (p.prefix.length <= a.literalPrefix.length && p.prefix.every((s, i) => a.literalPrefix[i] === s) && (a.segments.length > p.prefix.length || !p.strict))
            by = p.index;
        }
      }
    }
    if (by >= 0) out.push({ rule, by: rules[by]! });
  }
  return out;
}

const isLoneStar = (s: Segment) => s.kind === 'glob' && s.tokens.length === 1 && s.tokens[0]!.kind === 'star';

/** Matches every path: `*`, `**`, `/**`, `**​/*`. */
function isCatchAll(c: CompiledPattern): boolean {
  const rest = c.segments.filter((s) => s.kind !== 'globstar');
  return rest.length === 0 ? c.segments.length > 0 : c.floating && rest.length === 1 && c.segments.length === 2 && isLoneStar(rest[0]!);
}

/** `x`, `*.js`, `logs/`: one segment matched at any depth, with everything below it. */
function floatingSingle(c: CompiledPattern): { segment: NameTest; directoryOnly: boolean } | undefined {
  const s = c.segments;
  if (!c.floating || s.length < 2 || s.length > 3 || s[1]!.kind !== 'glob' || isLoneStar(s[1]!)) return undefined;
  if (s.length === 3 && s[2]!.kind !== 'globstar') return undefined;
  if (s.length === 2 && !c.coversDescendants) return undefined;
  return { segment: segmentMatcher(s[1]!), directoryOnly: s.length === 3 };
}

/** `/a/b`, `/a/b/`, `a/b/**`: literal directories and everything below (strict: only below). */
function literalDirectory(c: CompiledPattern): { prefix: readonly string[]; strict: boolean } | undefined {
  if (c.floating || c.literalPrefix.length === 0) return undefined;
  const n = c.literalPrefix.length;
  if (c.segments.length === n && c.coversDescendants) return { prefix: c.literalPrefix, strict: false };
  if (c.segments.length === n + 1 && c.segments[n]!.kind === 'globstar') return { prefix: c.literalPrefix, strict: true };
  return undefined;
}

/** Literal segments every matched path holds, and whether each may be the path's last segment. */
function literalSegments(c: CompiledPattern): { text: string; mayBeLast: boolean }[] {
  const out: { text: string; mayBeLast: boolean }[] = [];
  c.segments.forEach((s, i) => {
    const text = literalText(s);
    if (text !== undefined) out.push({ text, mayBeLast: i === c.segments.length - 1 });
  });
  return out;
}
