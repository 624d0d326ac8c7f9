/**
 * Lockfile text into values, with a syntax error located at its line and column and said in
 * kiln's words: a person reads "pnpm-lock.yaml, line 12" and what kiln does about it, not only a
 * parser's message.
 */
import { createRequire } from 'node:module';
import { diagnostic, err, ok, type Diagnostic, type Result } from '../model/index.js';
import { parseJson } from '../workspace/json.js';

const FALLBACK = 'Until it can be read, kiln affected counts every project as affected by a change to it.';

/** A `lockfile-invalid` diagnostic at `file:line:column`. */
export function unreadable(file: string, what: string, line?: number, column?: number, hint?: string): Diagnostic {
  return diagnostic('lockfile-invalid', `${file} cannot be read: ${what}.`, {
    location: { file, ...(line !== undefined && { line }), ...(column !== undefined && { column }) },
    hint: hint ?? `${FALLBACK} Regenerate it with your package manager's install.`,
  });
}

/** Every YAML document in `text` (pnpm 11 writes two), as plain values; or the first syntax error. */
export function yamlDocuments(text: string, file: string): Result<unknown[], Diagnostic> {
  // Lockfiles are written by their package manager, which never repeats a key; the library's
  // check for repeats is quadratic in a mapping's size (4x the parse time of a 5,000-package lockfile).
  // Loaded on first use: only pnpm's lockfile is YAML, and the library is large (20 ms to load).
  const { parseAllDocuments } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  for (const doc of docs) {
    const e = doc.errors[0];
    if (e === undefined) continue;
    const pos = e.linePos?.[0];
    // The parser's first line without its own " at line L, column C:" (the location says it).
    const what = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return err(unreadable(file, `not valid YAML (${what})`, pos?.line, pos?.col));
  }
  return ok(docs.map((d) => d.toJS({ maxAliasCount: -1 }) as unknown));
}

/** JSON or JSONC text (bun.lock has trailing commas), by the one JSON policy; errors located. */
export function jsonDocument(text: string, file: string): Result<unknown, Diagnostic> {
  const parsed = parseJson(text, file);
  if (parsed.ok) return ok(parsed.value.value);
  const first = parsed.error[0]!;
  return err(unreadable(file, first.message.replace(/^invalid JSON: /, 'not valid JSON: ').replace(/\.$/, ''), first.location?.line, first.location?.column));
}
