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
  /** Tests a repository path (`a/b/c.ts`, no leading `/`). */
  readonly regex: RegExp;
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
   * `**` at least one, any other `**` none. Lets a matcher skip the regex for a shallower path.
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

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function classRegex(source: string): string {
  let body = source.slice(1, -1);
  let negate = false;
  if (body.startsWith('!') || body.startsWith('^')) {
    negate = true;
    body = body.slice(1);
  }
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\' && i + 1 < body.length) out += escapeRegex(body[++i]!);
    else if (ch === '-') out += '-';
    else out += ch === ']' || ch === '^' || ch === '\\' || ch === '[' ? `\\${ch}` : ch;
  }
  // A class never matches `/` (FNM_PATHNAME).
  return negate ? `[^/${out}]` : `(?!/)[${out}]`;
}

function segmentRegex(seg: Segment & { kind: 'glob' }): string {
  let out = '';
  for (const t of seg.tokens) {
    switch (t.kind) {
      case 'literal':
        out += escapeRegex(t.text);
        break;
      case 'star':
        out += '[^/]*';
        break;
      case 'any-char':
        out += '[^/]';
        break;
      case 'class':
        out += classRegex(t.source);
        break;
    }
  }
  return out;
}

/** A test of one path segment (a name, no `/`) against a pattern segment. */
export function segmentMatcher(seg: Segment): RegExp {
  return seg.kind === 'globstar' ? /^.*$/ : new RegExp(`^${segmentRegex(seg)}$`);
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
  // Empty middle segments (`a//b`) match nothing in a path; drop them as git does.
  parts = parts.filter((p) => p !== '');
  let segments = parts.map((p) => tokenize(p, 'github'));
  if (!anchored && segments.length === 1 && segments[0]!.kind !== 'globstar') segments = [{ kind: 'globstar' }, ...segments];
  if (directoryOnly) segments = [...segments, { kind: 'globstar' }];
  // `**/**` is `**`.
  segments = segments.filter((seg, i) => !(seg.kind === 'globstar' && segments[i - 1]?.kind === 'globstar'));
  if (segments.length === 0) return neverMatches(raw);

  const last = segments.length - 1;
  let re = '';
  let needSlash = false;
  let coversDescendants = false;
  segments.forEach((seg, i) => {
    if (seg.kind === 'globstar') {
      if (i === 0 && i === last) re += '.+';
      else if (i === 0) {
        re += '(?:.+/)?';
        needSlash = false;
      } else if (i === last) {
        re += '/.*';
        coversDescendants = true;
      } else {
        re += '(?:/.+)?';
        needSlash = true;
      }
      return;
    }
    if (needSlash) re += '/';
    if (isLoneStar(seg)) re += '[^/]+';
    else {
      re += segmentRegex(seg);
      if (i === last) {
        re += '(?:/.*)?';
        coversDescendants = true;
      }
    }
    needSlash = true;
  });
  const floating = segments[0]!.kind === 'globstar';
  return {
    regex: new RegExp(`^${re}$`),
    segments,
    floating,
    literalPrefix: floating ? [] : leadingLiterals(segments),
    directoryOnly,
    coversDescendants: coversDescendants || (segments.length === 1 && segments[0]!.kind === 'globstar'),
    minDepth: minDepthOf(segments),
  };
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
  let re = '';
  segments.forEach((seg, i) => {
    const isLast = i === segments.length - 1;
    if (seg.kind === 'globstar') {
      // `**/` spans zero or more directories; a final `**` is an ordinary `*`.
      re += isLast ? '[^/]*' : '(?:[^/]*/)*';
      return;
    }
    re += segmentRegex(seg);
    if (!isLast) re += '/';
  });
  const floating = segments[0]!.kind === 'globstar';
  return {
    regex: new RegExp(`^${re}$`),
    segments,
    floating,
    literalPrefix: floating ? [] : leadingLiterals(segments),
    directoryOnly,
    coversDescendants: directoryOnly,
    minDepth: minDepthOf(segments),
  };
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

function neverMatches(raw: string): CompiledPattern {
  void raw;
  return { regex: /(?!)/, segments: [], floating: false, literalPrefix: [], directoryOnly: false, coversDescendants: false, minDepth: 0 };
}
