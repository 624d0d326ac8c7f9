import { describe, expect, it } from 'vitest';
import { didYouMean, formatDiagnostic, diagnostic, isWithin, lineColumn, nearest, parseTaskId, toRepoPath } from './index.js';

describe('nearest', () => {
  it('suggests a close typo, a prefix, and nothing for an unrelated word', () => {
    expect(nearest('biuld', ['build', 'test', 'lint'])).toBe('build');
    expect(nearest('inv', ['invoice', 'payroll'])).toBe('invoice');
    expect(nearest('zzzzzz', ['build', 'test'])).toBeUndefined();
    expect(didYouMean('payrol', ['payroll', 'catalog'])).toBe(' Did you mean "payroll"?');
    expect(didYouMean('x', [])).toBe('');
  });
  it('breaks ties by name so suggestions are deterministic', () => {
    expect(nearest('ab', ['ax', 'aa'])).toBe('aa');
    expect(nearest('ab', ['aa', 'ax'])).toBe('aa');
  });
});

describe('paths', () => {
  it('normalises to /-separated repo paths and refuses escapes', () => {
    expect(toRepoPath('./services\\user/./src/')).toBe('services/user/src');
    expect(toRepoPath('a/../b')).toBe('b');
    expect(toRepoPath('../outside')).toBeUndefined();
    expect(toRepoPath('/etc/passwd')).toBeUndefined();
    expect(toRepoPath('.')).toBe('');
  });
  it('tests containment on whole path segments', () => {
    expect(isWithin('services/user/a.ts', 'services/user')).toBe(true);
    expect(isWithin('services/user', 'services/user')).toBe(true);
    expect(isWithin('services/users/a.ts', 'services/user')).toBe(false);
    expect(isWithin('anything', '')).toBe(true);
  });
});

describe('diagnostics', () => {
  it('computes 1-based line and column', () => {
    expect(lineColumn('ab\ncd\nef', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd\nef', 4)).toEqual({ line: 2, column: 2 });
  });
  it('formats file:line:column, message and hint', () => {
    const d = diagnostic('invalid-json', 'Expected a comma.', { location: { file: 'nx.json', line: 3, column: 7 }, hint: 'Fix the file.' });
    expect(formatDiagnostic(d)).toBe('nx.json:3:7: Expected a comma.\n  Fix the file.');
  });
  it('parses task ids at the first colon', () => {
    expect(parseTaskId('invoice:build')).toEqual({ project: 'invoice', target: 'build' });
    expect(parseTaskId('app:build:production')).toEqual({ project: 'app', target: 'build:production' });
    expect(parseTaskId(':build')).toBeUndefined();
    expect(parseTaskId('app:')).toBeUndefined();
  });
});
