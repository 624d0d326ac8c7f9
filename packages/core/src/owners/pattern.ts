/**
 * One CODEOWNERS pattern → a compiled test on repository paths, plus the facts the matcher's
 * index and the shadowing check need (its literal leading directories, the first segment a
 * floating pattern must meet, its literal segments).
 *
 * GitHub (gitignore rules with GitHub's documented exceptions, checked against GitHub's behaviour):
 *   - a leading or middle `/` anchors the pattern at the root; a pattern with no `/` except a
 *     trailing one floats (matches at any depth, like a leading `**`/);
 *   - a trailing `/` matches everything below that directory (not a file of that name);
 *   - a pattern whose last segment is not a lone `*` also covers everything below what it names;
 *   - a lone `*` as the last segment matches direct children only (`docs/*`);
 *   - `*` and `?` never cross `/`; `**` leading, middle and trailing spans directories;
 *   - matching is case-sensitive; `\` makes the next character literal.
 * GitLab (`File.fnmatch` with FNM_PATHNAME | FNM_DOTMATCH after GitLab's normalisation):
 *   - `*` alone means every file; a pattern without a leading `/` gets `/**​/` in front;
 *     a trailing `/` gets `**​/*` after it; nothing else matches descendants;
 *   - `[...]` character classes are allowed.
 * Syntax errors (GitHub's `!` and `[ ]`) are found by the parser, not here.
 */
import type { Dialect } from './types.js';

/** A piece of one path segment. */
type Token = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'star' } | { readonly kind: 'any-char' } | { readonly kind: 'class'; readonly source: string };

/** One `/`-separated segment of a pattern. */
export type Segment = { readonly kind: 'globstar' } | { readonly kind: 'glob'; readonly tokens: readonly Token[] };

export interface CompiledPattern {
  /**
   * Tests a repository path (`a/b/c.ts`, no leading `/`), optionally already split at `/`.
   * Linear in practice whatever the pattern: no regular expression backtracking (see `PathTest`).
   */
  readonly test: (path: string, segments?: readonly string[]) => boolean;
  /** The pattern's segments after the dialect's normalisation (leading `**` added for floating patterns). */
  readonly segments: readonly Segment[];
  /** True when the pattern can match at any depth (its normalised form starts with `**`). */
  readonly floating: boolean;
  /** For an anchored pattern, its leading literal directory names (`/a/b/*.ts` → `[a, b]`). */
  readonly literalPrefix: readonly string[];
  /** True when the pattern matches only below what it names (trailing `/`). */
  readonly directoryOnly: boolean;
  /** True when the pattern also matches everything below the path it names. */
  readonly coversDescendants: boolean;
  /**
   * The fewest `/`-separated segments a matching path has: each named segment takes one, a final
   * `**` at least one, any other `**` none. Lets a matcher skip the test for a shallower path.
   */
  readonly minDepth: number;
}

function minDepthOf(segments: readonly Segment[]): number {
  const named = segments.filter((s) => s.kind !== 'globstar').length;
  return named + (segments.length > 0 && segments[segments.length - 1]!.kind === 'globstar' ? 1 : 0);
}

function tokenize(segment: string, dialect: Dialect): Segment {
  if (segment === '**') return { kind: 'globstar' };
  const tokens: Token[] = [];
  let literal = '';
  const flush = () => {
    if (literal !== '') tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '\\' && i + 1 < segment.length) {
      literal += segment[++i];
    } else if (ch === '*') {
      flush();
      // `**` inside a segment (`a**b`) is an ordinary `*`, as in gitignore.
      while (segment[i + 1] === '*') i++;
      tokens.push({ kind: 'star' });
    } else if (ch === '?') {
      flush();
      tokens.push({ kind: 'any-char' });
    } else if (ch === '[' && dialect === 'gitlab') {
      const end = classEnd(segment, i);
      if (end === -1) literal += ch;
      else {
        flush();
        tokens.push({ kind: 'class', source: segment.slice(i, end + 1) });
        i = end;
      }
    } else literal += ch;
  }
  flush();
  return { kind: 'glob', tokens };
}

/** Index of the `]` closing a character class opened at `start`, or -1. */
function classEnd(s: string, start: number): number {
  let i = start + 1;
  if (s[i] === '!' || s[i] === '^') i++;
  if (s[i] === ']') i++;
  for (; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ']') return i;
  }
  return -1;
}

/**
 * A character class (`[a-z]`, `[!x]`) → a test of one character. A class never matches `/`
 * (FNM_PATHNAME). The regular expression here matches exactly one character, so it cannot backtrack.
 */
function classTest(source: string): RegExp {
  let body = source.slice(1, -1);
  let negate = false;
  if (body.startsWith('!') || body.startsWith('^')) {
    negate = true;
    body = body.slice(1);
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) out += body[++i]!.replace(/[\]\\^-]/, '\\$&');
    else if (ch === '-') out += '-';
    else out += ch === ']' || ch === '^' || ch === '\\' || ch === '[' ? `\\${ch}` : ch;
  }
  return new RegExp(negate ? `^[^/${out}]$` : `^(?!/)[${out}]$`);
}

/** One character of a segment pattern: a literal, `?`, a class, or `*` (any run of characters). */
type Unit = { readonly kind: 'char'; readonly code: number } | { readonly kind: 'any-char' } | { readonly kind: 'class'; readonly test: RegExp } | { readonly kind: 'star' };

/** A test of one name (a path segment, no `/`). */
export interface NameTest {
  test(name: string): boolean;
}

const ANY_NAME: NameTest = { test: () => true };

/**
 * A segment pattern as a name test. Literal segments compare strings; the rest run the classic
 * wildcard walk, which on a mismatch goes back only to the latest `*`: O(name × pattern) at worst,
 * where a regular expression for `*a*a*a*a*b` backtracks exponentially.
 */
function nameTest(seg: Segment & { kind: 'glob' }): NameTest {
  const literal = literalText(seg);
  if (literal !== undefined) return { test: (name) => name === literal };
  const units: Unit[] = [];
  for (const t of seg.tokens) {
    if (t.kind === 'literal') for (let i = 0; i < t.text.length; i++) units.push({ kind: 'char', code: t.text.charCodeAt(i) });
    else if (t.kind === 'class') units.push({ kind: 'class', test: classTest(t.source) });
    else units.push(t);
  }
  if (units.length === 1 && units[0]!.kind === 'star') return ANY_NAME;
  const one = (u: Unit, name: string, i: number): boolean => (u.kind === 'char' ? name.charCodeAt(i) === u.code : u.kind === 'any-char' ? true : u.kind === 'class' ? u.test.test(name[i]!) : false);
  return {
    test(name) {
      let p = 0;
      let i = 0;
      let star = -1;
      let resume = 0;
      while (i < name.length) {
        const u = units[p];
        if (u !== undefined && u.kind === 'star') {
          star = p++;
          resume = i;
        } else if (u !== undefined && one(u, name, i)) {
          p++;
          i++;
        } else if (star >= 0) {
          p = star + 1;
          i = ++resume;
        } else return false;
      }
      while (units[p]?.kind === 'star') p++;
      return p === units.length;
    },
  };
}

/** A test of one path segment (a name, no `/`) against a pattern segment. */
export function segmentMatcher(seg: Segment): NameTest {
  return seg.kind === 'globstar' ? ANY_NAME : nameTest(seg);
}

/** The segment's text when it holds no wildcard, else undefined. */
export function literalText(seg: Segment): string | undefined {
  if (seg.kind !== 'glob') return undefined;
  let s = '';
  for (const t of seg.tokens) {
    if (t.kind !== 'literal') return undefined;
    s += t.text;
  }
  return s;
}

/** True for a segment that is exactly one `*`. */
function isLoneStar(seg: Segment): boolean {
  return seg.kind === 'glob' && seg.tokens.length === 1 && seg.tokens[0]!.kind === 'star';
}

/**
 * What one normalised pattern segment consumes of a path's segments: exactly one name passing a
 * test, or a run of names (`**`) of at least `min` (0 or 1).
 */
type Step = { readonly kind: 'name'; readonly name: NameTest } | { readonly kind: 'run'; readonly min: 0 | 1 };

/**
 * Steps over a path's `/`-separated segments, with `rest` true when any further segments may
 * follow (the pattern covers what it names and everything below). Matching walks the steps with
 * memoised positions: O(steps × path segments) name tests, never exponential.
 */
function pathTest(steps: readonly Step[], rest: boolean): CompiledPattern['test'] {
  const runs = steps.some((s) => s.kind === 'run');
  if (!runs)
    return (path, segments = path.split('/')) => {
      if (segments.length < steps.length || (!rest && segments.length !== steps.length)) return false;
      for (let i = 0; i < steps.length; i++) if (!(steps[i] as Step & { kind: 'name' }).name.test(segments[i]!)) return false;
      return true;
    };
  // With one run the walk tries each place the run can end once; with more, failed positions are
  // remembered so that no pair (step, segment) is walked twice.
  const memo = steps.filter((s) => s.kind === 'run').length > 1;
  return (path, segments = path.split('/')) => {
    const n = segments.length;
    const failed = memo ? new Uint8Array((steps.length + 1) * (n + 1)) : undefined;
    const from = (s: number, c: number): boolean => {
      if (s === steps.length) return c === n || rest;
      const key = s * (n + 1) + c;
      if (failed?.[key]) return false;
      const step = steps[s]!;
      let ok: boolean;
      if (step.kind === 'name') ok = c < n && step.name.test(segments[c]!) && from(s + 1, c + 1);
      else {
        ok = false;
        for (let k = c + step.min; k <= n && !ok; k++) ok = from(s + 1, k);
      }
      if (!ok && failed) failed[key] = 1;
      return ok;
    };
    return from(0, 0);
  };
}

/** Compiles a pattern (as written, escapes included, without the GitLab `!`) for `dialect`. */
export function compilePattern(raw: string, dialect: Dialect): CompiledPattern {
  return dialect === 'github' ? compileGitHub(raw) : compileGitLab(raw);
}

function compileGitHub(raw: string): CompiledPattern {
  let parts = raw.split('/');
  let anchored = false;
  if (parts[0] === '') {
    anchored = true;
    parts = parts.slice(1);
  }
  const directoryOnly = parts.length > 1 && parts[parts.length - 1] === '';
  if (directoryOnly) parts = parts.slice(0, -1);
  // An empty segment (`/g//h/`) would need an empty name in the path, which no path has: git's
  // wildmatch compares the `//` literally, so the pattern matches nothing (lint reports it).
  if (parts.some((p) => p === '')) return neverMatches();
  let segments = parts.map((p) => tokenize(p, 'github'));
  if (!anchored && segments.length === 1 && segments[0]!.kind !== 'globstar') segments = [{ kind: 'globstar' }, ...segments];
  if (directoryOnly) segments = [...segments, { kind: 'globstar' }];
  // `**/**` is `**`.
  segments = segments.filter((seg, i) => !(seg.kind === 'globstar' && segments[i - 1]?.kind === 'globstar'));
  if (segments.length === 0) return neverMatches();

  const last = segments.length - 1;
  // A leading or middle `**` spans zero or more directories; a trailing one (or a lone `**`) at
  // least one name. A last segment other than a lone `*` also covers everything below it.
  const steps = segments.map((seg, i): Step => (seg.kind === 'globstar' ? { kind: 'run', min: i === last ? 1 : 0 } : { kind: 'name', name: nameTest(seg) }));
  const lastSegment = segments[last]!;
  const rest = lastSegment.kind === 'glob' && !isLoneStar(lastSegment);
  return compiled(segments, pathTest(steps, rest), directoryOnly, rest || lastSegment.kind === 'globstar');
}

function compileGitLab(raw: string): CompiledPattern {
  // GitLab's normalisation (Gitlab::CodeOwners::File#normalize_pattern).
  let p = raw;
  if (p === '*') p = '/**/*';
  if (!p.startsWith('/')) p = `/**/${p}`;
  const directoryOnly = p.endsWith('/');
  if (directoryOnly) p = `${p}**/*`;
  const parts = p.slice(1).split('/');
  const segments = parts.map((s) => tokenize(s, 'gitlab'));
  const last = segments.length - 1;
  // `**/` spans zero or more directories; a final `**` is an ordinary `*`.
  const steps = segments.map((seg, i): Step => (seg.kind === 'globstar' ? (i === last ? { kind: 'name', name: ANY_NAME } : { kind: 'run', min: 0 }) : { kind: 'name', name: nameTest(seg) }));
  return compiled(segments, pathTest(steps, false), directoryOnly, directoryOnly);
}

function compiled(segments: readonly Segment[], test: CompiledPattern['test'], directoryOnly: boolean, coversDescendants: boolean): CompiledPattern {
  const floating = segments[0]!.kind === 'globstar';
  return { test, segments, floating, literalPrefix: floating ? [] : leadingLiterals(segments), directoryOnly, coversDescendants, minDepth: minDepthOf(segments) };
}

function leadingLiterals(segments: readonly Segment[]): string[] {
  const out: string[] = [];
  for (const seg of segments) {
    const text = literalText(seg);
    if (text === undefined) break;
    out.push(text);
  }
  return out;
}

function neverMatches(): CompiledPattern {
  return { test: () => false, segments: [], floating: false, literalPrefix: [], directoryOnly: false, coversDescendants: false, minDepth: 0 };
}
