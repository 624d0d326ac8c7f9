import { describe, expect, it } from 'vitest';
import { failureReport, groupSkipped, howItEnded, skipLines } from './failures.js';
import { Progress, statusLine } from './progress.js';
import { runSummary, runSummaryFileName } from './run-summary.js';
import { chooseOutputStyle } from './style.js';
import { LogTails } from './tail.js';
import type { Outcome } from './types.js';
import { dryRunArgs } from '../commands/run-extras.js';

const ok = (id: string, cache = 'miss'): Outcome => ({ id, status: 'success', cache, durationMs: 5 });
const failed = (id: string, code = 1): Outcome => ({ id, status: 'failure', cache: 'miss', durationMs: 5, exit: { code } });
const skipped = (id: string): Outcome => ({ id, status: 'skipped', cache: 'miss', durationMs: 0 });

describe('the status line', () => {
  it('shows done/total, the counts, the elapsed time and the running tasks', () => {
    const p = new Progress();
    p.total = 300;
    for (let i = 0; i < 40; i++) p.end(ok(`p${i}:build`, 'local'));
    p.end(failed('x:build'));
    p.start('a:build', 0);
    p.start('b:test', 1);
    expect(statusLine(p, 4200, 200)).toBe('41/300 · 40 cached · 1 failed · 4.2s · 2 running: a:build, b:test');
  });

  it('cuts the running names to the width and says how many more run', () => {
    const p = new Progress();
    p.total = 10;
    for (const id of ['alpha:build', 'beta:build', 'gamma:build', 'delta:build']) p.start(id, 0);
    const line = statusLine(p, 1000, 60);
    expect(line).toBe('0/10 · 1.0s · 4 running: alpha:build, beta:build, +2');
    expect(line.length).toBeLessThanOrEqual(60);
    // Too narrow for any name: the counts, cut with an ellipsis.
    const narrow = statusLine(p, 1000, 12);
    expect(narrow).toHaveLength(12);
    expect(narrow.endsWith('…')).toBe(true);
  });

  it('counts interrupted tasks apart from failures, and a finished task is no longer running', () => {
    const p = new Progress();
    p.total = 2;
    p.start('a:build', 0);
    p.end({ id: 'a:build', status: 'interrupted', cache: 'miss' });
    expect(statusLine(p, 0, 100)).toBe('1/2 · 1 interrupted · 0.0s');
  });
});

describe('skipped tasks', () => {
  // lib ← app1 ← e2e1; lib ← app2; other fails with tool ← it; z was never reached (bail).
  const deps: Record<string, string[]> = { 'app1:build': ['lib:build'], 'e2e1:build': ['app1:build'], 'app2:build': ['lib:build'], 'tool:build': ['other:build'], 'z:build': [] };
  const outcomes = new Map<string, Outcome>(
    [
      failed('lib:build', 2),
      skipped('app1:build'),
      skipped('e2e1:build'),
      skipped('app2:build'),
      { ...failed('other:build'), status: 'interrupted' as const },
      skipped('tool:build'),
      skipped('z:build'),
    ].map((o) => [o.id, o]),
  );
  const skippedIds = [...outcomes.values()].filter((o) => o.status === 'skipped').map((o) => o.id);

  it('are grouped under the failed task they depend on, through other skipped tasks', () => {
    const groups = groupSkipped(outcomes, skippedIds, (id) => deps[id] ?? []);
    expect(Object.fromEntries(groups.byCause)).toEqual({ 'lib:build': ['app1:build', 'e2e1:build', 'app2:build'], 'other:build': ['tool:build'] });
    expect(groups.notStarted).toEqual(['z:build']);
  });

  it('are one line per failed task, not one per skipped task', () => {
    const lines = skipLines(
      groupSkipped(outcomes, skippedIds, (id) => deps[id] ?? []),
      outcomes,
      'bail',
    );
    expect(lines).toEqual([
      '3 tasks skipped: they depend on lib:build, which failed (app1:build, e2e1:build, app2:build)',
      '1 task skipped: it depends on other:build, which was interrupted (tool:build)',
      '1 task not started: the run stopped after a failure (--bail) (z:build)',
    ]);
  });

  it('of a large subtree are named by a sample and a count', () => {
    const many = new Map<string, Outcome>([['root:build', failed('root:build')]]);
    const ids = Array.from({ length: 42 }, (_, i) => `p${i}:build`);
    for (const id of ids) many.set(id, skipped(id));
    const [line] = skipLines(
      groupSkipped(many, ids, () => ['root:build']),
      many,
      undefined,
    );
    expect(line).toBe('42 tasks skipped: they depend on root:build, which failed (p0:build, p1:build, +40 more)');
  });
});

describe('the failure report', () => {
  it('repeats each failed task, how it ended, its skipped dependents and its last lines', () => {
    const report = failureReport([
      { outcome: failed('lib:build', 3), skipped: 42, tail: ['error TS2322: nope', 'Found 1 error.'] },
      { outcome: { id: 'k:build', status: 'failure', cache: 'miss', durationMs: 1, exit: { code: 137, signal: 'SIGKILL' } }, skipped: 0, tail: [] },
      { outcome: { id: 'w:test', status: 'interrupted', cache: 'miss', durationMs: 1 }, skipped: 1, tail: ['watching'] },
    ]);
    expect(report).toEqual([
      '3 failed tasks:',
      '  lib:build: exit code 3; 42 dependent tasks skipped',
      '    last 2 lines of its output:',
      '    │ error TS2322: nope',
      '    │ Found 1 error.',
      '  k:build: killed by SIGKILL',
      '  w:test: interrupted; 1 dependent task skipped',
      '    last line of its output:',
      '    │ watching',
    ]);
    expect(failureReport([])).toEqual([]);
    expect(howItEnded(failed('a', 0))).toBe('exit code 0');
  });
});

describe('output tails', () => {
  it('keep the last lines, joined across chunks, without colours or overwritten text', () => {
    const tails = new LogTails();
    tails.add('a', Buffer.from('one\ntw'));
    tails.add('a', Buffer.from('o\n\x1b[31mthree\x1b[0m\n\nprogress 10%\rprogress 100%\r\nlast'));
    expect(tails.lines('a', 10)).toEqual(['one', 'two', 'three', 'progress 100%', 'last']);
    expect(tails.lines('a', 2)).toEqual(['progress 100%', 'last']);
    expect(tails.lines('unknown')).toEqual([]);
  });

  it('stay bounded on a huge log, and drop the line cut in half at the front', () => {
    const tails = new LogTails();
    for (let i = 0; i < 20_000; i++) tails.add('big', Buffer.from(`line ${i} ${'x'.repeat(50)}\n`));
    const lines = tails.lines('big', 3);
    expect(lines.map((l) => l.split(' ')[1])).toEqual(['19997', '19998', '19999']);
    const all = tails.lines('big', 100_000);
    expect(all.length).toBeLessThan(400);
    expect(all[0]).toMatch(/^line \d+ x{50}$/);
  });
});

describe('output styles', () => {
  it('default to grouped on a terminal and stream elsewhere; --verbose streams', () => {
    expect(chooseOutputStyle({ interactive: true })).toEqual({ ok: true, style: 'grouped' });
    expect(chooseOutputStyle({ interactive: false })).toEqual({ ok: true, style: 'stream' });
    expect(chooseOutputStyle({ interactive: true, verbose: true })).toEqual({ ok: true, style: 'stream' });
    expect(chooseOutputStyle({ interactive: true, verbose: true, style: 'summary' })).toEqual({ ok: true, style: 'summary' });
  });

  it("take Nx's --output-style names and turbo's --output-logs values where they mean the same", () => {
    const style = (s: string) => chooseOutputStyle({ interactive: true, style: s });
    const logs = (s: string) => chooseOutputStyle({ interactive: true, logs: s });
    expect([style('stream'), style('static'), style('tui'), style('dynamic'), style('stream-without-prefixes')].map((c) => c.ok && c.style)).toEqual([
      'stream',
      'grouped',
      'grouped',
      'grouped',
      'stream',
    ]);
    expect([logs('full'), logs('new-only'), logs('errors-only'), logs('none')].map((c) => c.ok && c.style)).toEqual(['stream', 'grouped', 'summary', 'summary']);
    const bad = style('fancy');
    expect(bad.ok === false && bad.message).toMatch(/--output-style expects one of stream, grouped, summary .*got "fancy"/);
    const hashOnly = logs('hash-only');
    expect(hashOnly.ok === false && hashOnly.hint).toMatch(/--dry-run/);
  });

  it("turbo's --dry and --dry=json are --dry-run, never after --", () => {
    expect(dryRunArgs(['-t', 'build', '--dry'])).toEqual(['-t', 'build', '--dry-run']);
    expect(dryRunArgs(['--dry=json', '-t', 'build'])).toEqual(['--dry-run', '--json', '-t', 'build']);
    expect(dryRunArgs(['--dry=text', '--', '--dry'])).toEqual(['--dry-run', '--', '--dry']);
  });
});

describe('the run summary', () => {
  it('is version 1, with each task: hash, status, cache, duration, exit code, inputs', () => {
    const startedAt = new Date('2026-12-06T08:45:12.345Z');
    const doc = runSummary({
      id: 'abcd1234',
      startedAt,
      finishedAt: new Date('2026-12-06T08:45:14.000Z'),
      request: { targets: ['build'], args: ['--watch'] },
      exitCode: 1,
      plan: [
        { id: 'a:build', hash: 'h1', cacheable: true, dependsOn: [], inputs: { 'a/src/a.ts': 'blob1' } },
        { id: 'b:build', hash: 'h2', cacheable: true, dependsOn: ['a:build'], inputs: {} },
        { id: 'c:build', hash: 'h3', cacheable: false, dependsOn: [], inputs: {} },
      ],
      outcomes: [
        { ...failed('a:build', 2), hash: 'h1' },
        { ...skipped('b:build'), hash: 'h2' },
        { ...ok('c:build', 'local'), hash: 'h3', savedMs: 900 },
      ],
    });
    expect(doc).toMatchObject({ version: 1, id: 'abcd1234', durationMs: 1655, exitCode: 1, request: { targets: ['build'], projects: null, args: ['--watch'] } });
    expect(doc.counts).toEqual({ total: 3, success: 1, failure: 1, skipped: 1, interrupted: 0, cached: 1 });
    expect(doc.tasks[0]).toEqual({
      id: 'a:build',
      hash: 'h1',
      status: 'failure',
      cache: 'miss',
      cacheSource: null,
      cacheable: true,
      durationMs: 5,
      exitCode: 2,
      signal: null,
      dependsOn: [],
      inputs: { files: { 'a/src/a.ts': 'blob1' } },
    });
    expect(doc.tasks[1]).toMatchObject({ status: 'skipped', cache: 'none', exitCode: null, dependsOn: ['a:build'] });
    expect(doc.tasks[2]).toMatchObject({ status: 'success', cache: 'hit', cacheSource: 'local', savedMs: 900, exitCode: 0 });
    expect(runSummaryFileName(startedAt, 'abcd1234')).toBe('20261206T084512Z-abcd1234.json');
  });
});
