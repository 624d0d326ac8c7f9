/** The file-size rule of `npm run lint`, on file contents given as strings. */
import { describe, expect, it } from 'vitest';
import { lineCount, sizeProblem, sizeReason } from './file-sizes.mjs';

const lines = (n: number, head = '') => `${head}${'x;\n'.repeat(n - (head ? head.split('\n').length - 1 : 0))}`;

describe('file sizes', () => {
  it('counts lines with or without a final newline', () => {
    expect([lineCount(''), lineCount('a'), lineCount('a\n'), lineCount('a\nb'), lineCount('a\n\n')]).toEqual([0, 1, 1, 2, 2]);
  });

  it('keeps api/ files to 150 lines, whatever reason they give', () => {
    expect(sizeProblem('packages/core/src/api/run.ts', lines(150))).toBeUndefined();
    expect(sizeProblem('packages/core/src/api/run.ts', lines(151))).toBe('151 lines; a file in api/ only wires and has at most 150');
    expect(sizeProblem('packages/core/src/api/run.ts', lines(151, '// size: it is special\n'))).toContain('at most 150');
    expect(sizeProblem('packages/core/src/cache/local.ts', lines(151))).toBeUndefined();
  });

  it('lets other files past 400 lines only with a `// size:` reason among their first 10 lines', () => {
    expect(sizeProblem('packages/cli/src/main.ts', lines(400))).toBeUndefined();
    expect(sizeProblem('packages/cli/src/main.ts', lines(401))).toBe('401 lines, over 400 without a `// size: <why>` line among its first 10');
    const reasoned = lines(401, '/** header */\n// size: one table of every diagnostic\n');
    expect(sizeReason(reasoned)).toBe('one table of every diagnostic');
    expect(sizeProblem('packages/cli/src/main.ts', reasoned)).toBeUndefined();
    const tooLate = `${'// header\n'.repeat(10)}// size: too far down\n${lines(400)}`;
    expect(sizeProblem('packages/cli/src/main.ts', tooLate)).toContain('without a `// size: <why>` line');
  });
});
