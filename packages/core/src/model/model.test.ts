import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  didYouMean,
  formatDiagnostic,
  diagnostic,
  isWithin,
  lineColumn,
  nearest,
  parseTaskId,
  projectOfTask,
  resolveTaskId,
  taskId,
  taskIdReadings,
  toRepoPath,
} from './index.js';

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
  it('lists every reading of a task id, the longest project first', () => {
    expect(taskIdReadings('my:proj:build')).toEqual([
      { project: 'my:proj', target: 'build' },
      { project: 'my', target: 'proj:build' },
    ]);
    expect(taskIdReadings('a::b')).toEqual([
      { project: 'a:', target: 'b' },
      { project: 'a', target: ':b' },
    ]);
    expect(taskIdReadings('build')).toEqual([]);
    expect(taskId('my:proj', 'build:prod')).toBe('my:proj:build:prod');
  });
  it('reads a task id against the projects and their targets', () => {
    const projects: Record<string, Record<string, object>> = { 'my:proj': { build: {} }, my: { lint: {} }, a: { 'build:prod': {}, build: {} } };
    const resolve = (id: string, p = projects) => resolveTaskId(id, (name) => p[name]);
    expect(resolve('my:proj:build')).toEqual({ ok: true, value: { project: 'my:proj', target: 'build' } });
    expect(resolve('my:lint')).toEqual({ ok: true, value: { project: 'my', target: 'lint' } });
    expect(resolve('a:build:prod')).toEqual({ ok: true, value: { project: 'a', target: 'build:prod' } });
    // No project has the target: the longest known project, whose targets the error then names.
    expect(resolve('my:proj:test')).toEqual({ ok: true, value: { project: 'my:proj', target: 'test' } });
    expect(resolve('nope:build')).toEqual({ ok: false, error: { reason: 'unknown-project', reading: { project: 'nope', target: 'build' } } });
    expect(resolve('build')).toEqual({ ok: false, error: { reason: 'not-a-task' } });
    const both = { ...projects, 'a:build': { prod: {} } };
    expect(resolve('a:build:prod', both)).toEqual({
      ok: false,
      error: {
        reason: 'ambiguous',
        readings: [
          { project: 'a:build', target: 'prod' },
          { project: 'a', target: 'build:prod' },
        ],
      },
    });
  });
  it('finds the project of a task id whose target is known', () => {
    expect(projectOfTask('a:build:prod', 'build:prod')).toBe('a');
    expect(projectOfTask('my:proj:build', 'build')).toBe('my:proj');
    expect(projectOfTask('a:build', 'test')).toBeUndefined();
    expect(projectOfTask(':build', 'build')).toBeUndefined();
  });
});

describe('canonicalJson', () => {
  /** The definition, plainly: what every task hash was computed over. The fast version must agree byte for byte. */
  function reference(value: unknown): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
    const parts: string[] = [];
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function') continue;
      parts.push(`${JSON.stringify(k)}:${reference(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const KEYS = ['a', 'b', 'B', 'é', '0', '1', '2', '9', '10', '01', '-1', 'a b', 'x"y', '\u2028', '\ud83d\ude00', 'z\\', '', 'toJSON'];
  function value(depth: number): unknown {
    const kind = depth > 3 ? Math.floor(random() * 6) : Math.floor(random() * 9);
    if (kind === 0) return pick(['', 'plain', 'quo"te', 'line\nbreak', '\ud800', 'ü', '\u0000']);
    if (kind === 1) return pick([0, -0, 1.5, -3, 1e21, NaN, Infinity]);
    if (kind === 2) return pick([true, false, null]);
    if (kind === 3) return undefined;
    if (kind === 4) return () => 1;
    if (kind === 5) return pick(['only', 'strings', 'here']);
    if (kind === 6) {
      const list: unknown[] = Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      if (random() < 0.2) list[list.length + 1] = 'after a hole';
      return list;
    }
    // Objects: in key order or not, strings only or mixed, plain or not.
    const keys = [...new Set(Array.from({ length: Math.floor(random() * 6) }, () => pick(KEYS)))];
    if (random() < 0.5) keys.sort();
    const stringsOnly = kind === 7;
    const o: Record<string, unknown> = random() < 0.1 ? Object.create(null) : random() < 0.1 ? new Date(0) : {};
    for (const k of keys) o[k] = stringsOnly ? pick(['v', 'w"', '\ud800']) : value(depth + 1);
    return o;
  }
  it('writes what the plain recursive definition writes, for any value', () => {
    for (let i = 0; i < 20000; i++) {
      const v = value(0);
      expect(canonicalJson(v)).toBe(reference(v));
    }
    expect(canonicalJson({ b: 'x', a: 'y' })).toBe('{"a":"y","b":"x"}');
    expect(canonicalJson({ 1: 'x', a: 'y', 0: 'z' })).toBe('{"0":"z","1":"x","a":"y"}');
    expect(canonicalJson(new Date(0))).toBe('{}');
  });
});
