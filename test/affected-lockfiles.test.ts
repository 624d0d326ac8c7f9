/**
 * `kiln affected` on lockfiles as package managers write them today: pnpm 11's two YAML
 * documents in a real git repository, and an unreadable lockfile's warning.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { pnpm11 } from './fixtures/lockfiles.js';
import { createRepo, type TempRepo } from './helpers/repo.js';

const pnpmLock = (qs: string, pnpm = '11.0.3', reactDomPeer?: string) => pnpm11({ pnpm, qs, ...(reactDomPeer && { reactDomPeer }) });

const pkg = (name: string, dependencies: Record<string, string>) => ({ name, version: '1.0.0', scripts: { build: 'echo build' }, dependencies });

let repo: TempRepo | undefined;
afterEach(() => repo?.cleanup());

function workspace(): TempRepo {
  repo = createRepo({
    'package.json': { name: 'monorepo', private: true, packageManager: 'pnpm@11.0.3', devDependencies: { typescript: '^5.4.0' } },
    'pnpm-workspace.yaml': 'packages:\n  - apps/*\n  - libs/*\n',
    'pnpm-lock.yaml': pnpmLock('6.11.0'),
    'apps/web/package.json': pkg('web', { '@acme/ui': 'workspace:*', express: '^4.18.0', 'react-dom': '^18.2.0' }),
    'apps/web/src/index.js': "import express from 'express';\nimport { ui } from '@acme/ui';\nexport const app = [express, ui];\n",
    'apps/admin/package.json': pkg('admin', { 'react-dom': '^18.2.0' }),
    'apps/admin/src/index.js': "export { default } from 'react-dom';\n",
    'libs/ui/package.json': pkg('@acme/ui', { lodash: '^4.17.21' }),
    'libs/ui/src/index.js': "export const ui = 'ui';\n",
  });
  repo.git('checkout', '-q', '-b', 'change');
  return repo;
}

describe('kiln affected: a two-document pnpm lockfile', () => {
  it('a change to a dependency of a dependency affects exactly the projects reaching it, naming it', () => {
    const r = workspace();
    r.commit('bump qs', { 'pnpm-lock.yaml': pnpmLock('6.11.1') });
    const run = r.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = run.json<{ projects: string[]; reasons: Record<string, unknown[]>; diagnostics?: unknown }>();
    expect(out.projects).toEqual(['web']);
    expect(out.reasons.web).toEqual([{ kind: 'lockfile', package: 'qs', file: 'pnpm-lock.yaml', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] }]);
    expect(out.diagnostics).toBeUndefined();
    expect(run.stderr).not.toMatch(/warning/i);
    const text = r.kiln(['affected', '--base', 'main', '--head', 'HEAD']);
    expect(text.stdout).toContain('qs (external package in pnpm-lock.yaml: 6.11.0 → 6.11.1, via express)');
  });

  it('moving to another existing peer variant affects that project alone, naming the peer', () => {
    const r = workspace();
    r.commit('web on react 18.3.1', { 'pnpm-lock.yaml': pnpmLock('6.11.0', '11.0.3', '18.3.1') });
    const out = r.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']).json<{ projects: string[]; reasons: Record<string, unknown[]> }>();
    expect(out.projects).toEqual(['web']);
    expect(out.reasons.web).toEqual([{ kind: 'lockfile', package: 'react', file: 'pnpm-lock.yaml', via: ['react-dom'], before: ['18.2.0'], after: ['18.3.1'] }]);
  });

  it('a change confined to the env document (pnpm itself) affects no project', () => {
    // (A changed root package.json "packageManager" stays global, by the root package.json rule.)
    const r = workspace();
    r.commit('pnpm 11.1 in the lockfile', { 'pnpm-lock.yaml': pnpmLock('6.11.0', '11.1.0') });
    const out = r.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']).json<{ projects: string[] }>();
    expect(out.projects).toEqual([]);
  });

  it('an unreadable lockfile is a warning with its file and line, besides the safe answer', () => {
    const r = workspace();
    const broken = pnpmLock('6.11.1').replace('  qs@6.11.1: {}', '  qs@6.11.1: [6.11.1');
    const line = broken.split('\n').length;
    r.commit('break the lockfile', { 'pnpm-lock.yaml': broken });
    const run = r.kiln(['affected', '--base', 'main', '--head', 'HEAD', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const out = run.json<{ projects: string[]; reasons: Record<string, { kind: string; file: string; detail: string }[]>; diagnostics: Record<string, unknown>[] }>();
    expect(out.projects).toEqual(['@acme/ui', 'admin', 'web']);
    expect(out.reasons.admin![0]).toMatchObject({ kind: 'global', file: 'pnpm-lock.yaml' });
    expect(out.reasons.admin![0]!.detail).toMatch(/^the lockfile could not be compared \(line \d+, column \d+: pnpm-lock\.yaml cannot be read: not valid YAML/);
    expect(out.diagnostics).toHaveLength(1);
    expect(out.diagnostics[0]).toMatchObject({ code: 'lockfile-invalid', severity: 'warning', file: 'pnpm-lock.yaml', line: expect.any(Number) as number });
    expect(out.diagnostics[0]!.line as number).toBeGreaterThan(30);
    expect(out.diagnostics[0]!.line as number).toBeLessThanOrEqual(line);
    expect(out.diagnostics[0]!.hint).toMatch(/every project as affected/);
    // On stderr, located, in kiln's words first.
    expect(run.stderr).toMatch(new RegExp(`pnpm-lock\\.yaml:${out.diagnostics[0]!.line as number}:\\d+: pnpm-lock\\.yaml cannot be read: not valid YAML`));
  });
});
