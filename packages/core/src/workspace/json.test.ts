import { describe, expect, it } from 'vitest';
import { parseJson } from './json.js';

describe('parseJson', () => {
  it('locates a field by path, at its property name; a missing one at its nearest ancestor', () => {
    const r = parseJson('{\n  "a": {\n    "b": [1, 2]\n  }\n}\n', 'f.json');
    if (!r.ok) throw new Error('parse failed');
    expect(r.value.locate(['a', 'b'])).toEqual({ file: 'f.json', line: 3, column: 5 });
    expect(r.value.locate(['a', 'b', 1])).toEqual({ file: 'f.json', line: 3, column: 14 });
    expect(r.value.locate(['a', 'missing'])).toEqual({ file: 'f.json', line: 2, column: 3 });
  });

  it('reports every syntax error with line and column', () => {
    const r = parseJson('{\n  "a": 1\n  "b": ,\n}', 'bad.json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((d) => [d.location?.line, d.location?.column, d.message])).toEqual([
      [3, 3, 'invalid JSON: expected ","'],
      [3, 8, 'invalid JSON: expected a value'],
    ]);
  });

  it('accepts a byte order mark, comments and trailing commas; positions stay right', () => {
    const r = parseJson('\ufeff{ /* c */ "x": [1,], // end\n "y": true }', 'bom.json');
    if (!r.ok) throw new Error('parse failed');
    expect(r.value.value).toEqual({ x: [1], y: true });
    expect(r.value.locate(['y'])).toMatchObject({ line: 2, column: 2 });
  });

  it('an empty file is an error, not an empty config', () => {
    const r = parseJson('', 'empty.json');
    expect(r.ok).toBe(false);
  });
});
