/** docs/diagnostics.md shows the catalogue of diagnostic codes (model/diagnostic.ts): the two stay in step. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES } from '@kiln/core/model';
import { repoRoot } from './helpers/repo.js';

describe('diagnostic codes', () => {
  it('docs/diagnostics.md lists every code of the catalogue with its meaning, in order, and nothing else', () => {
    const doc = readFileSync(join(repoRoot, 'docs/diagnostics.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(DIAGNOSTIC_CODES));
  });

  it('codes are kebab-case', () => {
    for (const code of Object.keys(DIAGNOSTIC_CODES)) expect(code).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});
