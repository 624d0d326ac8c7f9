import { describe, expect, it } from 'vitest';
import { isSourceFile, scanImports } from './scan.js';

describe('scanImports', () => {
  it('finds every static form', () => {
    const src = [
      "import a from 'default-import';",
      "import { b, c as d } from \"named\";",
      "import * as ns from 'namespace';",
      "import 'side-effect';",
      "export * from 'reexport-all';",
      "export { x } from 'reexport-named';",
      "export * as y from 'reexport-ns';",
      "import fs = require('ts-import-equals');",
      "const r = require('cjs');",
      "const p = require.resolve('resolved');",
      "import json from './data.json' with { type: 'json' };",
    ].join('\n');
    expect(scanImports(src)).toEqual({
      static: ['default-import', 'named', 'namespace', 'side-effect', 'reexport-all', 'reexport-named', 'reexport-ns', 'ts-import-equals', 'cjs', 'resolved', './data.json'],
      dynamic: [],
    });
  });

  it('dynamic import() is dynamic, also with a template literal without substitutions', () => {
    expect(scanImports("const m = await import('lazy'); import(`tpl`); import(`no-${x}`);")).toEqual({ static: [], dynamic: ['lazy', 'tpl'] });
  });

  it('type-only imports count as static, as Nx counts them', () => {
    expect(scanImports("import type { A } from 'types-only';\nimport { type B } from 'mixed';\nexport type { C } from 'type-reexport';").static).toEqual([
      'types-only',
      'mixed',
      'type-reexport',
    ]);
  });

  it('skips comments', () => {
    const src = "// import 'line-comment'\n/* import 'block'\n require('block2') */\nimport real from 'real'; /** @see import('jsdoc') */";
    expect(scanImports(src)).toEqual({ static: ['real'], dynamic: [] });
  });

  it('skips strings, even with escaped quotes', () => {
    const src = `const a = "import 'in-double'"; const b = 'require(\\'in-single\\')'; const c = "it's \\"from 'x'\\""; import ok from 'ok';`;
    expect(scanImports(src)).toEqual({ static: ['ok'], dynamic: [] });
  });

  it('skips template literal text but reads code inside ${}, nested', () => {
    const src = "const t = `import 'in-template' ${require('in-expr')} ${ `deep ${ import('deeper') } text import('no')` } from 'nope'`;\nimport after from 'after';";
    expect(scanImports(src)).toEqual({ static: ['in-expr', 'after'], dynamic: ['deeper'] });
  });

  it('skips regular expression literals but not division', () => {
    const src = "const re = /import 'x' from 'y'/g; const q = a / b; const r = (c) / 2; import z from 'z'; if (/['\"]/.test(s)) require('w');";
    expect(scanImports(src)).toEqual({ static: ['z', 'w'], dynamic: [] });
  });

  it('braces inside ${} of object literals do not end the template early', () => {
    const src = "const t = `${ {a: 1}.a } import 'no'`; require('yes');";
    expect(scanImports(src)).toEqual({ static: ['yes'], dynamic: [] });
  });

  it('ignores properties and computed specifiers', () => {
    const src = "obj.import('a'); x.require('b'); foo.from('c'); Array.from('d'); require(name); import(name); $import('e'); this.#import('f'); obj?.import('g');";
    expect(scanImports(src)).toEqual({ static: [], dynamic: [] });
  });

  it('reads multi-line imports with comments between', () => {
    const src = "import {\n  a, // first\n  b,\n} from /* where */ '@acme/multi';\nexport {\n  c\n}\nfrom '@acme/re';";
    expect(scanImports(src).static).toEqual(['@acme/multi', '@acme/re']);
  });

  it('survives unterminated strings and comments without throwing', () => {
    expect(scanImports("const s = 'open\nimport x from 'after-line';").static).toEqual(['after-line']);
    expect(scanImports('/* never closed import "x"').static).toEqual([]);
    expect(scanImports('`never closed ${').static).toEqual([]);
  });

  it('deduplicates', () => {
    expect(scanImports("import a from 'x'; import b from 'x'; require('x');").static).toEqual(['x']);
  });

  it('JSX with apostrophes in text after the imports', () => {
    const src = "import React from 'react';\nimport { Button } from '@acme/ui';\nexport const A = () => <p>Don't {name}</p>;";
    expect(scanImports(src).static).toEqual(['react', '@acme/ui']);
  });
});

describe('isSourceFile', () => {
  it('knows the eight extensions', () => {
    expect(['a.ts', 'a.tsx', 'a.js', 'a.jsx', 'a.mts', 'a.cts', 'a.mjs', 'a.cjs'].every(isSourceFile)).toBe(true);
    expect(['a.json', 'a.vue', 'a.d', 'Makefile', 'a.py'].some(isSourceFile)).toBe(false);
  });
});
