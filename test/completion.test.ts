/**
 * Shell completion, in the real shells: bash always; zsh and fish when installed (.ci/run installs
 * them). Each sources `kiln completion SHELL` with `kiln` on PATH and asks for the candidates as
 * the shell would: bash through its completion function, zsh through `_kiln` with compadd recorded,
 * fish through `complete -C`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, kilnBin, testEnv, type TempRepo } from './helpers/repo.js';
import { selectWorkspace } from './helpers/select-workspace.js';

const has = (shell: string): boolean => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;

let repo: TempRepo;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  repo = createRepo(selectWorkspace());
  const bin = join(repo.dir, '.kiln-test-bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'kiln'), `#!/bin/sh\nexec "${process.execPath}" "${kilnBin}" "$@"\n`);
  chmodSync(join(bin, 'kiln'), 0o755);
  env = testEnv({ PATH: `${bin}:${process.env.PATH}` });
  // The saved graph state the project names come from.
  expect(repo.kiln(['affected']).code).toBe(0);
});
afterAll(() => repo?.cleanup());

function shell(program: string, script: string): string {
  const r = spawnSync(program, ['-c', script], { cwd: repo.dir, env, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

/** bash: COMP_WORDS as bash splits the line (at ':' too), the cursor on the last word. */
function bash(...words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const out = shell('bash', `source <(kiln completion bash); COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _kiln; printf '%s\\n' "\${COMPREPLY[@]}"`);
  return out.split('\n').filter(Boolean).sort();
}

describe('bash', () => {
  it('completes commands, flags, subcommands, projects, tags, targets and tasks', () => {
    expect(bash('kiln', 'ca')).toEqual(['cache']);
    expect(bash('kiln', 'run', '--ex')).toEqual(['--exclude']);
    expect(bash('kiln', 'run', '--skip-')).toEqual(['--skip-cache']);
    expect(bash('kiln', 'cache', '')).toEqual(['clean', 'stats']);
    expect(bash('kiln', 'run', '-p', 'app')).toEqual(['app-admin', 'app-web', 'app-web-e2e']);
    expect(bash('kiln', 'projects', '--exclude', 'tag', ':', 'type', ':', '')).toEqual(['app', 'e2e', 'lib', 'service']);
    expect(bash('kiln', 'run', '-t', 'b')).toEqual(['build']);
    expect(bash('kiln', 'app-web', ':', '')).toEqual(['build']);
    expect(bash('kiln', 'completion', 'z')).toEqual(['zsh']);
  });

  it('leaves a value it has no names for to the shell (files)', () => {
    expect(bash('kiln', 'run', '--parallel', '')).toEqual([]);
  });
});

describe.skipIf(!has('zsh'))('zsh', () => {
  it('offers the candidates to compadd, and files when it has none', () => {
    const run = (words: string[]) =>
      shell(
        'zsh',
        `compdef() { :; }; compadd() { shift 2; print -l -- "$@"; }; _files() { print FILES; }; source <(kiln completion zsh); words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _kiln`,
      )
        .split('\n')
        .filter(Boolean);
    expect(run(['kiln', 'run', '-t', ''])).toEqual(['build']);
    expect(run(['kiln', 'graph', ''])).toContain('@org/worker');
    expect(run(['kiln', 'run', '--cwd', ''])).toEqual(['FILES']);
  });
});

describe.skipIf(!has('fish'))('fish', () => {
  it('completes through complete -C', () => {
    const run = (line: string) => shell('fish', `source (kiln completion fish | psub); complete -C '${line}'`).split('\n').filter(Boolean).sort();
    expect(run('kiln run --skip-')).toEqual(['--skip-cache']);
    expect(run('kiln run -p app-w')).toEqual(['app-web', 'app-web-e2e']);
    expect(run('kiln app-web:')).toEqual(['app-web:build']);
  });
});
