/**
 * File sizes, checked by `npm run lint`: a file in packages/core/src/api/ wires edges to pure
 * modules and stays short (at most 150 lines); any other source file in packages/*\/src over 400
 * lines says why at its top, in a `// size: <why>` line among its first 10. Tests are not counted.
 *
 *   node tools/lint/file-sizes.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// 'warn' while issue 16's splits of api/ and cache/local.ts land; then 'error', which fails the lint.
const severity = 'error';

const API_LIMIT = 150;
const LIMIT = 400;
const REASON_LINES = 10;

/** Lines of `text`, not counting the newline that ends the last one. */
export function lineCount(text) {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** The `// size: <why>` reason among the first lines, or undefined. */
export function sizeReason(text) {
  for (const line of text.split('\n', REASON_LINES)) {
    const m = /^\s*\/\/\s*size:\s*(\S.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** What is wrong with the size of `path` (repository-relative, `/`-separated), or undefined. */
export function sizeProblem(path, text) {
  const lines = lineCount(text);
  if (/^packages\/core\/src\/api\//.test(path) && lines > API_LIMIT) return `${lines} lines; a file in api/ only wires and has at most ${API_LIMIT}`;
  if (lines > LIMIT && sizeReason(text) === undefined) return `${lines} lines, over ${LIMIT} without a \`// size: <why>\` line among its first ${REASON_LINES}`;
  return undefined;
}

function sourceFiles(root) {
  const files = [];
  for (const pkg of readdirSync(join(root, 'packages')).sort()) {
    const src = join(root, 'packages', pkg, 'src');
    let entries;
    try {
      entries = readdirSync(src, { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries.sort()) if (/\.(ts|mts|js|mjs)$/.test(entry) && !/\.test\.[mc]?[tj]s$/.test(entry)) files.push(join(src, entry));
  }
  return files;
}

export function main(root = process.cwd()) {
  const problems = [];
  for (const file of sourceFiles(root)) {
    const path = relative(root, file).split('\\').join('/');
    const problem = sizeProblem(path, readFileSync(file, 'utf8'));
    if (problem) problems.push(`${path}: ${problem}`);
  }
  for (const p of problems) process.stderr.write(`${severity === 'error' ? 'error' : 'warning'} file-size: ${p}\n`);
  if (problems.length === 0) process.stderr.write('file sizes: every source file within its limit\n');
  return severity === 'error' && problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main();
