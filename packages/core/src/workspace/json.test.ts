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

  it('a key written twice in one object is an error at the repeat, with or without comments', () => {
    for (const text of ['{\n  "a": 1,\n  "b": {"x": 1, "x": 2},\n  "a": 3\n}', '{\n  "a": 1, // one\n  "b": {"x": 1, "x": 2},\n  "a": 3\n}']) {
      const r = parseJson(text, 'dup.json');
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.map((d) => [d.code, d.location?.line, d.location?.column, d.message])).toEqual([
        ['duplicate-key', 4, 3, '"a" is written twice in one object (also at line 2, column 3); only one of them can count.'],
        ['duplicate-key', 3, 17, '"x" is written twice in one object (also at line 3, column 9); only one of them can count.'],
      ]);
    }
  });

  it('the same key in different objects, and \":\" inside strings, are not repeats', () => {
    const r = parseJson('{"a": {"k": 1}, "b": {"k": "x\\": y\\": z"}, "c": [{"k": 1}, {"k": 2}]}', 'ok.json');
    if (!r.ok) throw new Error(r.error[0]!.message);
    expect(r.value.value).toEqual({ a: { k: 1 }, b: { k: 'x": y": z' }, c: [{ k: 1 }, { k: 2 }] });
  });

  it('"__proto__" is a key like any other, with or without comments', () => {
    for (const text of ['{"__proto__": {"polluted": true}}', '{"__proto__": {"polluted": true}} // c']) {
      const r = parseJson(text, 'proto.json');
      if (!r.ok) throw new Error(r.error[0]!.message);
      expect(Object.keys(r.value.value as object)).toEqual(['__proto__']);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(r.value.value)).toBe(Object.prototype);
    }
  });
});
