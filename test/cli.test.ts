/** The CLI's shell: version, help, unknown commands and flags, exit codes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRepo, repoRoot, runKiln } from './helpers/repo.js';

const kiln = (...args: string[]) => runKiln(args, { cwd: repoRoot });

describe('kiln CLI', () => {
  it('prints its version from package.json', () => {
    const r = kiln('--version');
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('lists commands and exit codes in --help', () => {
    const r = kiln('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: kiln <command>/);
    expect(r.stdout).toMatch(/Exit codes: 0 success; 1 .*; 2 usage/);
  });

  it('suggests the nearest command for a typo, exit 2', () => {
    const r = kiln('projcts');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "projcts"\. Did you mean "projects"\?/);
  });

  it('with --json, prints a failure as one JSON document on stdout, located where it can be', () => {
    const repo = createRepo({ 'nx.json': '{\n  "targetDefaults": {,\n}\n', 'package.json': '{"name":"ws","private":true}' });
    try {
      const r = repo.kiln(['projects', '--json']);
      expect(r.code).toBe(2);
      expect(r.json()).toMatchObject({ error: { code: expect.any(String), message: expect.stringContaining('invalid JSON'), file: 'nx.json', line: 2, column: expect.any(Number) } });
      const usage = repo.kiln(['projects', '--json', '--jsno']);
      expect(usage.code).toBe(2);
      expect(usage.json()).toEqual({ error: { code: 'usage', message: 'unknown option "--jsno". Did you mean "--json"?', hint: 'Run `kiln projects --help` for its options.' } });
    } finally {
      repo.cleanup();
    }
  });

  it('suggests the nearest flag for a typo, exit 2', () => {
    const r = kiln('projects', '--jsno');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option "--jsno"\. Did you mean "--json"\?/);
  });

  it('suggests the nearest subcommand, and prints a command\'s help, exit 2 and 0', () => {
    const r = kiln('owners', 'chek');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown subcommand "chek" of "kiln owners"\. Did you mean "check"\?/);
    const help = kiln('run', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('kiln run -t TARGET');
  });

  it('rejects a run without a target or with a bad --parallel, exit 2', () => {
    const none = kiln('run');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('kiln run needs a target: -t TARGET.');
    const bad = kiln('run', '-t', 'build', '--parallel', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--parallel expects a positive whole number, got "0".');
  });
});
