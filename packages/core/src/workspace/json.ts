/**
 * JSON with comments (as Nx allows in nx.json, project.json and tsconfig), parsed so that every
 * problem can point at `file:line:column`. Pure.
 *
 * The fast path is `JSON.parse`; the position tree (jsonc-parser) is built only when a file has
 * comments or trailing commas, has a syntax error, or a validator asks where a field is.
 */
import { createRequire } from 'node:module';
import type { Node, ParseError } from 'jsonc-parser';
import { diagnostic, lineColumn, type Diagnostic, type Location } from '../model/index.js';

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

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const p of node.children ?? []) {
        const [k, v] = p.children ?? [];
        if (k && v) out[k.value as string] = nodeValue(v);
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
