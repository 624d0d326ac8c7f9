#!/usr/bin/env node
/**
 * The naive CODEOWNERS baseline for scenario 7: what most JavaScript tools do today (the
 * `codeowners` and `github-codeowners` npm packages): one `ignore` matcher per CODEOWNERS line,
 * and for every file a walk from the last line up until one matches (the last match wins).
 * Nx and Turborepo have no CODEOWNERS matching, so this stands in for "the peer".
 *
 * It is a baseline for speed only: `ignore` implements .gitignore rules, which differ from
 * GitHub's CODEOWNERS rules in places (see STYLE.md); on the generated file the owners agree.
 *
 * Usage (cwd = repository): node baseline-owners.mjs [CODEOWNERS [PATH...]] → prints
 * {path: [owners]} JSON for the paths given, or for every file git tracks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ignore from 'ignore';

const file = process.argv[2] ?? '.github/CODEOWNERS';
const rules = [];
for (const raw of readFileSync(file, 'utf8').split('\n')) {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) continue;
  const [pattern, ...owners] = line.split(/\s+/);
  rules.push({ matcher: ignore().add(pattern), owners });
}
const given = process.argv.slice(3);
const paths = given.length > 0 ? given : execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8', maxBuffer: 1 << 30 }).split('\0').filter(Boolean);
const result = {};
for (const path of paths) {
  let owners = [];
  for (let i = rules.length - 1; i >= 0; i--) {
    if (rules[i].matcher.ignores(path)) {
      owners = rules[i].owners;
      break;
    }
  }
  result[path] = owners;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
