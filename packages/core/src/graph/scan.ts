/**
 * The import scanner: finds the module specifiers a JS/TS source file depends on, without a parser.
 * A lexer-level pass over the file's bytes that skips comments, strings, template literals (with
 * nested `${}`) and regular expression literals, and reports:
 *   static:  `import ... from 'x'`, `import 'x'`, `export ... from 'x'`, `import x = require('x')`,
 *            `require('x')`, `require.resolve('x')`;
 *   dynamic: `import('x')`.
 * Type-only imports (`import type`, `export type ... from`) count as static, as Nx counts them:
 * type checking a project needs its dependency's types, so they are real build edges.
 * Specifiers built at run time (`require(name)`, template literals with `${}`) are not reported.
 *
 * It works on UTF-8 bytes (every character that matters to the lexer is ASCII) so that the hot
 * path never decodes whole files; only the specifiers found are decoded. Pure.
 */

export interface FileImports {
  readonly static: string[];
  readonly dynamic: string[];
}

/** Extensions whose imports kiln reads, as Nx does (Nx also reads .vue; kiln does not). */
export const sourceExtensions = ['.ts', '.tsx', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'] as const;

/** A source file whose imports the graph reads: a JS/TS file outside `node_modules` (installed packages are not the workspace's). */
export function isScannedSource(path: string): boolean {
  return isSourceFile(path) && !path.startsWith('node_modules/') && !path.includes('/node_modules/');
}

export function isSourceFile(path: string): boolean {
  const dot = path.lastIndexOf('.');
  if (dot < 0) return false;
  switch (path.slice(dot)) {
    case '.ts':
    case '.tsx':
    case '.js':
    case '.jsx':
    case '.mts':
    case '.cts':
    case '.mjs':
    case '.cjs':
      return true;
    default:
      return false;
  }
}

const encoder = new TextEncoder();

/** Scans source text (a convenience over `scanImportBytes`). */
export function scanImports(text: string): FileImports {
  return scanImportBytes(encoder.encode(text));
}

const SLASH = 47;
const STAR = 42;
const BACKSLASH = 92;
const NEWLINE = 10;
const QUOTE = 39;
const DQUOTE = 34;
const BACKTICK = 96;
const LBRACE = 123;
const RBRACE = 125;
const LPAREN = 40;
const RPAREN = 41;
const COMMA = 44;
const DOT = 46;
const DOLLAR = 36;
const LBRACKET = 91;
const RBRACKET = 93;

// Byte classes: 1 = identifier character (ASCII letters, digits, _ and $, and any non-ASCII byte).
const IDENT = new Uint8Array(256);
for (let c = 0; c < 256; c++) IDENT[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === DOLLAR || c >= 128 ? 1 : 0;

const IMPORT = [105, 109, 112, 111, 114, 116];
const REQUIRE = [114, 101, 113, 117, 105, 114, 101];
const FROM = [102, 114, 111, 109];
const RESOLVE = [114, 101, 115, 111, 108, 118, 101];

const regexKeywords = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** Scans the first `length` bytes of UTF-8 source `b`. */
export function scanImportBytes(b: Uint8Array, length: number = b.length): FileImports {
  const statics: string[] = [];
  const dynamics: string[] = [];
  const n = length;
  // Nothing can start after the last `import`/`require`/`from`, so lexing stops there: in most
  // files that is the end of the import block, a small part of the file.
  const last = lastKeyword(b, n);
  if (last < 0) return { static: statics, dynamic: dynamics };
  // Brace depths at which a template literal's `${` expression opened; `}` at that depth resumes the template.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  while (i <= last) {
    const c = b[i]!;
    switch (c) {
      case SLASH: {
        const next = b[i + 1];
        if (next === SLASH) i = lineEnd(b, i + 2, n);
        else if (next === STAR) i = blockEnd(b, i + 2, n);
        else if (regexAllowed(b, i)) i = skipRegex(b, i + 1, n);
        else i++;
        break;
      }
      case QUOTE:
      case DQUOTE:
        i = skipString(b, i + 1, c, n);
        break;
      case BACKTICK: {
        const end = skipTemplate(b, i + 1, n);
        if (end < 0) {
          templates.push(depth);
          depth++;
          i = -end;
        } else i = end;
        break;
      }
      case LBRACE:
        depth++;
        i++;
        break;
      case RBRACE:
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          const end = skipTemplate(b, i + 1, n);
          if (end < 0) {
            templates.push(depth);
            depth++;
            i = -end;
          } else i = end;
        } else i++;
        break;
      case 105: // i
        if (isKeyword(b, i, IMPORT, n)) {
          i += 6;
          const k = skipTrivia(b, i, n);
          const ch = b[k];
          if (ch === LPAREN) {
            const end = readSpecifier(b, skipTrivia(b, k + 1, n), n, dynamics);
            if (end > 0) i = end;
          } else if (ch === QUOTE || ch === DQUOTE) {
            const end = readSpecifier(b, k, n, statics);
            if (end > 0) i = end;
          }
          // Otherwise a declaration: its `from 'x'` comes next.
        } else i = skipIdent(b, i, n);
        break;
      case 102: // f
        if (isKeyword(b, i, FROM, n)) {
          i += 4;
          const k = skipTrivia(b, i, n);
          const ch = b[k];
          if (ch === QUOTE || ch === DQUOTE) {
            const end = readSpecifier(b, k, n, statics);
            if (end > 0) i = end;
          }
        } else i = skipIdent(b, i, n);
        break;
      case 114: // r
        if (isKeyword(b, i, REQUIRE, n)) {
          i += 7;
          let k = skipTrivia(b, i, n);
          if (b[k] === DOT && matches(b, k + 1, RESOLVE, n) && !IDENT[b[k + 8] ?? 0]) k = skipTrivia(b, k + 8, n);
          if (b[k] === LPAREN) {
            const at = statics.length;
            const end = readSpecifier(b, skipTrivia(b, k + 1, n), n, statics);
            if (end > 0) {
              const e = b[skipTrivia(b, end, n)];
              if (e === RPAREN || e === COMMA) i = end;
              else statics.length = at;
            }
          }
        } else i = skipIdent(b, i, n);
        break;
      default:
        i = IDENT[c] ? skipIdent(b, i, n) : i + 1;
    }
  }
  return { static: statics, dynamic: dynamics };
}

/** Where the last `import`, `require` or `from` starts (as bytes, whatever surrounds them), or -1. */
function lastKeyword(b: Uint8Array, n: number): number {
  for (let k = n - 4; k >= 0; k--) {
    const c = b[k];
    if (c === 105) {
      if (b[k + 1] === 109 && b[k + 2] === 112 && b[k + 3] === 111 && b[k + 4] === 114 && b[k + 5] === 116) return k;
    } else if (c === 114) {
      if (b[k + 1] === 101 && b[k + 2] === 113 && b[k + 3] === 117 && b[k + 4] === 105 && b[k + 5] === 114 && b[k + 6] === 101) return k;
    } else if (c === 102) {
      if (b[k + 1] === 114 && b[k + 2] === 111 && b[k + 3] === 109) return k;
    }
  }
  return -1;
}


function skipIdent(b: Uint8Array, i: number, n: number): number {
  i++;
  while (i < n && IDENT[b[i]!]) i++;
  return i;
}

function matches(b: Uint8Array, i: number, word: readonly number[], n: number): boolean {
  if (i + word.length > n) return false;
  for (let k = 0; k < word.length; k++) if (b[i + k] !== word[k]) return false;
  return true;
}

/** `word` at `i` as a whole word and not a property (`a.import`, `x.require`); `...require` (spread) is fine. */
function isKeyword(b: Uint8Array, i: number, word: readonly number[], n: number): boolean {
  if (!matches(b, i, word, n) || IDENT[b[i + word.length] ?? 0]) return false;
  if (i === 0) return true;
  if (IDENT[b[i - 1]!] || b[i - 1] === 35 /* #private */) return false;
  let k = i - 1;
  while (k >= 0 && isSpace(b[k]!)) k--;
  return !(k >= 0 && b[k] === DOT && b[k - 1] !== DOT);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === NEWLINE || c === 13 || c === 11 || c === 12;
}

function lineEnd(b: Uint8Array, i: number, n: number): number {
  while (i < n && b[i] !== NEWLINE) i++;
  return i + 1;
}

function blockEnd(b: Uint8Array, i: number, n: number): number {
  while (i < n - 1 && !(b[i] === STAR && b[i + 1] === SLASH)) i++;
  return i + 2;
}

/** Skips whitespace and comments from `i`. */
function skipTrivia(b: Uint8Array, i: number, n: number): number {
  while (i < n) {
    const c = b[i]!;
    if (isSpace(c)) i++;
    else if (c === SLASH && b[i + 1] === SLASH) i = lineEnd(b, i + 2, n);
    else if (c === SLASH && b[i + 1] === STAR) i = blockEnd(b, i + 2, n);
    else if (c === 0xc2 && b[i + 1] === 0xa0) i += 2; // no-break space
    else break;
  }
  return i;
}

/**
 * Reads a quoted string or a template literal without `${}` at `k` into `into`; returns the index
 * after it, or -1 when there is no such literal there.
 */
function readSpecifier(b: Uint8Array, k: number, n: number, into: string[]): number {
  const q = b[k];
  if (q !== QUOTE && q !== DQUOTE && q !== BACKTICK) return -1;
  let i = k + 1;
  let plain = true;
  let hash = 0;
  for (; i < n; i++) {
    const c = b[i]!;
    if (c === q) break;
    hash = (Math.imul(hash, 31) + c) | 0;
    if (c === BACKSLASH || c >= 128) {
      plain = false;
      if (c === BACKSLASH) i++;
    } else if (c === NEWLINE && q !== BACKTICK) return -1;
    else if (q === BACKTICK && c === DOLLAR && b[i + 1] === LBRACE) return -1;
  }
  if (i >= n) return -1;
  const value = plain ? intern(b, k + 1, i, hash) : decoder.decode(b.subarray(k + 1, i)).replace(/\\(.)/g, '$1');
  if (!into.includes(value)) into.push(value);
  return i + 1;
}

const decoder = new TextDecoder();

/**
 * The same specifier recurs across thousands of files (`react`, `@acme/connection`): reuse one
 * string per distinct ASCII specifier instead of allocating one per occurrence.
 */
const interned = new Map<number, string>();

function intern(b: Uint8Array, start: number, end: number, hash: number): string {
  const known = interned.get(hash);
  if (known !== undefined && known.length === end - start) {
    let same = true;
    for (let j = 0; j < known.length; j++) {
      if (known.charCodeAt(j) !== b[start + j]) {
        same = false;
        break;
      }
    }
    if (same) return known;
  }
  const value = end - start < 64 ? String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]) : decoder.decode(b.subarray(start, end));
  if (known === undefined && interned.size < 1 << 20) interned.set(hash, value);
  return value;
}

/** The index after a '...' or "..." string starting at `i` (after the quote); unterminated strings end at the line. */
function skipString(b: Uint8Array, i: number, quote: number, n: number): number {
  for (; i < n; i++) {
    const c = b[i];
    if (c === quote) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c === NEWLINE) return i + 1;
  }
  return n;
}

/** From inside a template literal: the index after its closing backtick, or `-(index after "${")` when an expression starts. */
function skipTemplate(b: Uint8Array, i: number, n: number): number {
  for (; i < n; i++) {
    const c = b[i];
    if (c === BACKTICK) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c === DOLLAR && b[i + 1] === LBRACE) return -(i + 2);
  }
  return n;
}

/** Whether a `/` at `j` starts a regular expression (rather than dividing), judged by the token before it. */
function regexAllowed(b: Uint8Array, j: number): boolean {
  let k = j - 1;
  while (k >= 0 && isSpace(b[k]!)) k--;
  if (k < 0) return true;
  const c = b[k]!;
  if (c === RPAREN || c === RBRACKET) return false;
  if ((c === 43 || c === 45) && b[k - 1] === c) return false; // x++ / y
  if (IDENT[c]) {
    let s = k;
    while (s > 0 && IDENT[b[s - 1]!]) s--;
    if (k - s > 10) return false;
    return regexKeywords.has(String.fromCharCode.apply(null, b.subarray(s, k + 1) as unknown as number[]));
  }
  return true;
}

/** The index after a regular expression literal whose body starts at `i` (flags are skipped as code). */
function skipRegex(b: Uint8Array, i: number, n: number): number {
  let inClass = false;
  for (; i < n; i++) {
    const c = b[i];
    if (c === BACKSLASH) i++;
    else if (c === LBRACKET) inClass = true;
    else if (c === RBRACKET) inClass = false;
    else if (c === SLASH && !inClass) return i + 1;
    else if (c === NEWLINE) return i; // not a regex after all
  }
  return n;
}
