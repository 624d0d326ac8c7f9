/**
 * The import scanner: finds the module specifiers a JS/TS source file depends on, without a parser.
 * A lexer-level pass that skips comments, strings, template literals (with nested `${}`) and
 * regular expression literals, and reports:
 *   static:  `import ... from 'x'`, `import 'x'`, `export ... from 'x'`, `import x = require('x')`,
 *            `require('x')`, `require.resolve('x')`;
 *   dynamic: `import('x')`.
 * Type-only imports (`import type`, `export type ... from`) count as static, as Nx counts them:
 * type checking a project needs its dependency's types, so they are real build edges.
 * Specifiers built at run time (`require(name)`, template literals with `${}`) are not reported.
 * Pure and allocation-light: this is the hot path of building the graph.
 */

export interface FileImports {
  readonly static: string[];
  readonly dynamic: string[];
}

/** Extensions whose imports kiln reads, as Nx does (Nx also reads .vue; kiln does not). */
export const sourceExtensions = ['.ts', '.tsx', '.js', '.jsx', '.mts', '.cts', '.mjs', '.cjs'] as const;

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

const TOKEN = /[/'"`{}]|\b(?:import|require|from)\b/g;

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
const DOT = 46;
const DOLLAR = 36;

const regexKeywords = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

export function scanImports(text: string): FileImports {
  const statics: string[] = [];
  const dynamics: string[] = [];
  const n = text.length;
  // Brace depths at which a template literal's `${` expression opened; `}` at that depth resumes the template.
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  const re = new RegExp(TOKEN.source, 'g');
  for (;;) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m === null) break;
    const j = m.index;
    const c = text.charCodeAt(j);
    switch (c) {
      case SLASH: {
        const next = text.charCodeAt(j + 1);
        if (next === SLASH) {
          const end = text.indexOf('\n', j + 2);
          i = end < 0 ? n : end + 1;
        } else if (next === STAR) {
          const end = text.indexOf('*/', j + 2);
          i = end < 0 ? n : end + 2;
        } else if (regexAllowed(text, j)) i = skipRegex(text, j + 1);
        else i = j + 1;
        break;
      }
      case QUOTE:
      case DQUOTE:
        i = skipString(text, j + 1, c);
        break;
      case BACKTICK: {
        const end = skipTemplate(text, j + 1);
        if (end < 0) {
          // Stopped at `${`: scan the expression as code until its closing brace.
          templates.push(depth);
          depth++;
          i = -end;
        } else i = end;
        break;
      }
      case LBRACE:
        depth++;
        i = j + 1;
        break;
      case RBRACE:
        depth--;
        if (templates.length > 0 && templates[templates.length - 1] === depth) {
          templates.pop();
          const end = skipTemplate(text, j + 1);
          if (end < 0) {
            templates.push(depth);
            depth++;
            i = -end;
          } else i = end;
        } else i = j + 1;
        break;
      default: {
        const word = m[0];
        i = j + word.length;
        if (j > 0 && isMemberAccess(text, j)) break;
        if (word === 'import') {
          const k = skipTrivia(text, i);
          const ch = text.charCodeAt(k);
          if (ch === LPAREN) {
            const s = readSpecifier(text, skipTrivia(text, k + 1));
            if (s !== undefined) {
              dynamics.push(s.value);
              i = s.end;
            }
          } else if (ch === QUOTE || ch === DQUOTE) {
            const s = readSpecifier(text, k);
            if (s !== undefined) {
              statics.push(s.value);
              i = s.end;
            }
          }
          // Otherwise a declaration: its `from 'x'` is found next.
        } else if (word === 'from') {
          const k = skipTrivia(text, i);
          const ch = text.charCodeAt(k);
          if (ch === QUOTE || ch === DQUOTE) {
            const s = readSpecifier(text, k);
            if (s !== undefined) {
              statics.push(s.value);
              i = s.end;
            }
          }
        } else {
          // require('x') or require.resolve('x')
          let k = skipTrivia(text, i);
          if (text.charCodeAt(k) === DOT && text.startsWith('resolve', k + 1)) k = skipTrivia(text, k + 8);
          if (text.charCodeAt(k) === LPAREN) {
            const s = readSpecifier(text, skipTrivia(text, k + 1));
            if (s !== undefined && isCallEnd(text, s.end)) {
              statics.push(s.value);
              i = s.end;
            }
          }
        }
      }
    }
  }
  return { static: dedupe(statics), dynamic: dedupe(dynamics) };
}

function dedupe(list: string[]): string[] {
  return list.length < 2 ? list : [...new Set(list)];
}

/** `a.import`, `x.require(...)`: a property, not the keyword (also `$import`, `_require`). */
function isMemberAccess(text: string, j: number): boolean {
  const p = text.charCodeAt(j - 1);
  if (p === DOLLAR || p === 95) return true;
  let k = j - 1;
  while (k >= 0 && isSpace(text.charCodeAt(k))) k--;
  return k >= 0 && text.charCodeAt(k) === DOT && text.charCodeAt(k - 1) !== DOT;
}

function isCallEnd(text: string, k: number): boolean {
  const e = text.charCodeAt(skipTrivia(text, k));
  return e === 41 /* ) */ || e === 44 /* , */;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === NEWLINE || c === 13 || c === 0xa0 || c === 0xfeff || c === 11 || c === 12;
}

/** Skips whitespace and comments from `i`. */
function skipTrivia(text: string, i: number): number {
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) i++;
    else if (c === SLASH && text.charCodeAt(i + 1) === SLASH) {
      const end = text.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === SLASH && text.charCodeAt(i + 1) === STAR) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else break;
  }
  return i;
}

/** A quoted string or a template literal without `${}` at `k`: its value and the index after it. */
function readSpecifier(text: string, k: number): { value: string; end: number } | undefined {
  const q = text.charCodeAt(k);
  if (q !== QUOTE && q !== DQUOTE && q !== BACKTICK) return undefined;
  let i = k + 1;
  let escaped = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) {
      escaped = true;
      i++;
    } else if (c === q) break;
    else if (c === NEWLINE && q !== BACKTICK) return undefined;
    else if (q === BACKTICK && c === DOLLAR && text.charCodeAt(i + 1) === LBRACE) return undefined;
  }
  if (i >= text.length) return undefined;
  const raw = text.slice(k + 1, i);
  return { value: escaped ? raw.replace(/\\(.)/g, '$1') : raw, end: i + 1 };
}

/** The index after a '...' or "..." string starting at `i` (after the quote); unterminated strings end at the line. */
function skipString(text: string, i: number, quote: number): number {
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === quote) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c === NEWLINE) return i + 1;
  }
  return n;
}

/** From inside a template literal: the index after its closing backtick, or `-(index after "${")` when an expression starts. */
function skipTemplate(text: string, i: number): number {
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKTICK) return i + 1;
    if (c === BACKSLASH) i++;
    else if (c === DOLLAR && text.charCodeAt(i + 1) === LBRACE) return -(i + 2);
  }
  return n;
}

/** Whether a `/` at `j` starts a regular expression (rather than dividing), judged by the token before it. */
function regexAllowed(text: string, j: number): boolean {
  let k = j - 1;
  while (k >= 0 && isSpace(text.charCodeAt(k))) k--;
  if (k < 0) return true;
  const c = text.charCodeAt(k);
  if (c === 41 /* ) */ || c === 93 /* ] */) return false;
  if ((c === 43 || c === 45) && text.charCodeAt(k - 1) === c) return false; // x++ / y
  if (isIdentChar(c)) {
    let s = k;
    while (s > 0 && isIdentChar(text.charCodeAt(s - 1))) s--;
    return regexKeywords.has(text.slice(s, k + 1));
  }
  return true;
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === DOLLAR || c > 127;
}

/** The index after a regular expression literal whose body starts at `i` (flags are skipped as code). */
function skipRegex(text: string, i: number): number {
  const n = text.length;
  let inClass = false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === 91 /* [ */) inClass = true;
    else if (c === 93 /* ] */) inClass = false;
    else if (c === SLASH && !inClass) return i + 1;
    else if (c === NEWLINE) return i; // not a regex after all
  }
  return n;
}
