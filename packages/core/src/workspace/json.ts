/**
 * The one JSON reader: every JSON file a person writes and kiln reads (nx.json, project.json,
 * package.json, tsconfig, lerna.json...) is parsed here, with one policy, so that a file one
 * command accepts no other command rejects. Pure.
 *
 * - A UTF-8 byte order mark is skipped, and comments and trailing commas are allowed (JSONC, as
 *   Nx reads its files).
 * - A key written twice in one object is an error: JSON.parse, npm and Nx silently keep the last.
 * - Every problem is a diagnostic at `file:line:column`, all of them at once.
 *
 * The fast path is `JSON.parse`; the position tree (jsonc-parser) is built only when a file has
 * comments or trailing commas, has a syntax error, may repeat a key, or a validator asks where a
 * field is.
 */
import { createRequire } from 'node:module';
import type { Node, ParseError } from 'jsonc-parser';
import { diagnostic, lineColumn, type Diagnostic, type Location } from '../model/diagnostic.js'; // not the index: find-root, on `kiln run`'s fast path, parses package.json

/** The position-keeping parser, loaded on first use: most files parse with `JSON.parse` alone. */
let jsonc: typeof import('jsonc-parser') | undefined;
const positions = (): typeof import('jsonc-parser') => (jsonc ??= createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser'));

/** A path into a JSON document: property names and array indices. */
export type JsonPath = readonly (string | number)[];

export interface ParsedJson {
  readonly file: string;
  readonly value: unknown;
  /** Where the value at `path` starts (its nearest existing ancestor when it is missing). */
  locate(path: JsonPath): Location;
}

/** Parses JSONC `text` from `file`; syntax errors come back as located diagnostics (all of them). */
export function parseJson(text: string, file: string): { ok: true; value: ParsedJson } | { ok: false; error: Diagnostic[] } {
  let value: unknown;
  let tree: Node | undefined;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const offsetBase = text.length - body.length;
  try {
    value = JSON.parse(body);
  } catch {
    const errors: ParseError[] = [];
    const { parseTree, printParseErrorCode } = positions();
    tree = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
    if (errors.length > 0 || tree === undefined) {
      const list = errors.length > 0 ? errors : [{ error: 4, offset: 0, length: 0 } as unknown as ParseError];
      return {
        ok: false,
        error: list.map((e) => {
          const { line, column } = lineColumn(text, e.offset + offsetBase);
          return diagnostic('invalid-json', `invalid JSON: ${describeParseError(printParseErrorCode(e.error))}`, {
            location: { file, line, column },
            hint: `Fix the syntax of ${file} at line ${line}, column ${column}.`,
          });
        }),
      };
    }
    value = nodeValue(tree);
  }
  if (tree !== undefined || mayRepeatKeys(body, value)) {
    tree ??= positions().parseTree(body, [], { allowTrailingComma: true })!;
    const repeated = repeatedKeys(tree, text, offsetBase, file);
    if (repeated.length > 0) return { ok: false, error: repeated };
  }
  const locate = (path: JsonPath): Location => {
    const { parseTree, findNodeAtLocation } = positions();
    tree ??= parseTree(body, [], { allowTrailingComma: true });
    if (!tree) return { file };
    let node: Node | undefined;
    for (let n = path.length; n >= 0 && node === undefined; n--) node = findNodeAtLocation(tree, path.slice(0, n) as (string | number)[]);
    // Point at the property name when there is one: that is where a person looks.
    const at = node?.parent?.type === 'property' ? node.parent.offset : (node?.offset ?? 0);
    return { file, ...lineColumn(text, at + offsetBase) };
  };
  return { ok: true, value: { file, value, locate } };
}

/**
 * Whether strictly valid JSON `body`, parsed to `value`, may hold a key twice in one object.
 * Every key is a string followed by `:`, so `":` occurs at least once per key written; when it
 * occurs no more often than the parsed objects have keys, no key was written twice. (A string
 * value holding `":` only makes the answer "maybe", which the position tree then settles.)
 */
function mayRepeatKeys(body: string, value: unknown): boolean {
  let written = 0;
  for (const colon = /"\s*:/g; colon.exec(body) !== null; ) written++;
  return written > keyCount(value);
}

function keyCount(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) for (const v of value) n += keyCount(v);
  else for (const k in value) n += 1 + keyCount((value as Record<string, unknown>)[k]);
  return n;
}

/** A diagnostic for each key written again in the same object, at the repeat. */
function repeatedKeys(tree: Node, text: string, offsetBase: number, file: string): Diagnostic[] {
  const found: Diagnostic[] = [];
  const at = (node: Node) => lineColumn(text, node.offset + offsetBase);
  const visit = (node: Node): void => {
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const key = property.children?.[0];
        if (!key) continue;
        const first = seen.get(key.value as string);
        if (first === undefined) seen.set(key.value as string, key);
        else {
          const { line, column } = at(key);
          const earlier = at(first);
          found.push(
            diagnostic('duplicate-key', `"${key.value as string}" is written twice in one object (also at line ${earlier.line}, column ${earlier.column}); only one of them can count.`, {
              location: { file, line, column },
              hint: `Remove or rename one of the two in ${file}.`,
            }),
          );
        }
      }
    }
    for (const child of node.children ?? []) visit(child);
  };
  visit(tree);
  return found;
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const p of node.children ?? []) {
        const [k, v] = p.children ?? [];
        // defineProperty, not `=`: a key named "__proto__" is data, as JSON.parse makes it.
        if (k && v) Object.defineProperty(out, k.value as string, { value: nodeValue(v), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'expected a property name in double quotes',
    ValueExpected: 'expected a value',
    ColonExpected: 'expected ":"',
    CommaExpected: 'expected ","',
    CloseBraceExpected: 'expected "}"',
    CloseBracketExpected: 'expected "]"',
    EndOfFileExpected: 'unexpected content after the end of the document',
    InvalidCommentToken: 'malformed comment',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character',
  };
  return words[code] ?? code;
}
