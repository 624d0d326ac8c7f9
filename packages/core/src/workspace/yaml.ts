/** YAML (pnpm-workspace.yaml) parsed with positions for errors. Pure. */
import { createRequire } from 'node:module';
import type { Node as YamlNode } from 'yaml';
import { diagnostic, type Diagnostic, type Location } from '../model/index.js';
import type { JsonPath, ParsedJson } from './json.js';

/** Parses YAML into the same `ParsedJson` shape as JSON files, so validators need not care. */
export function parseYaml(text: string, file: string): { ok: true; value: ParsedJson } | { ok: false; error: Diagnostic[] } {
  // Loaded on first use: most workspaces have no YAML to read, and the library is large.
  const { LineCounter, parseDocument, isMap, isSeq } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      error: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return diagnostic('invalid-yaml', `invalid YAML: ${e.message.split('\n')[0]}`, {
          location: { file, line: pos.line, column: pos.col },
          hint: `Fix the syntax of ${file} at line ${pos.line}, column ${pos.col}.`,
        });
      }),
    };
  }
  const locate = (path: JsonPath): Location => {
    let node: unknown = doc.contents;
    let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value ?? p.key) === String(key));
        if (!pair) break;
        offset = (pair.key as YamlNode | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
        node = node.items[key];
        offset = (node as YamlNode).range?.[0] ?? offset;
      } else break;
    }
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  return { ok: true, value: { file, value: doc.toJS() as unknown, locate } };
}
