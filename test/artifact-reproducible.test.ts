/**
 * End to end: tasks run the way reproducible-builds.org asks (SOURCE_DATE_EPOCH from the project's
 * last commit, TZ=UTC, umask 022), and a target can opt out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, kilnBin, type TempRepo } from './helpers/repo.js';

const show = (cwd: string, options: Record<string, unknown> = {}) => ({
  command: 'echo "$SOURCE_DATE_EPOCH|$TZ|$(umask)" > dist/env.txt',
  options: { cwd, ...options },
  outputs: [`{projectRoot}/dist`],
});

/** Commits everything with a fixed committer time (seconds), the time SOURCE_DATE_EPOCH should carry. */
function commitAt(repo: TempRepo, seconds: number, message: string): void {
  repo.git('add', '-A');
  execFileSync('git', ['commit', '-q', '-m', message], {
    cwd: repo.dir,
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@kiln.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@kiln.invalid', GIT_COMMITTER_DATE: `@${seconds} +0000`, GIT_CONFIG_GLOBAL: '/dev/null' },
  });
}

/** `kiln run -t show` under umask 077 and another time zone, as a careless machine would. */
function runShow(repo: TempRepo, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync('sh', ['-c', 'umask 077; exec "$0" "$@"', process.execPath, kilnBin, 'run', '-t', 'show', '--skip-cache'], {
    cwd: repo.dir,
    env: { ...process.env, CI: '1', TZ: 'Asia/Kathmandu', ...env },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr + r.stdout).toBe(0);
}

describe('reproducible task environment', () => {
  let repo: TempRepo;
  const read = (project: string) => readFileSync(join(repo.dir, project, 'dist/env.txt'), 'utf8').trim();
  beforeAll(() => {
    repo = createRepo(
      {
        '.gitignore': 'dist/\n.kiln/\n',
        'package.json': { name: 'ws', private: true },
        'nx.json': {},
        'a/project.json': { name: 'a', targets: { show: show('a') } },
        'a/dist/.keep': '',
        'b/project.json': { name: 'b', targets: { show: show('b') } },
        'b/dist/.keep': '',
        'c/project.json': { name: 'c', targets: { show: show('c', { kiln: { reproducible: false } }) } },
        'c/dist/.keep': '',
      },
      { commit: false },
    );
    commitAt(repo, 1_000_000_000, 'first');
    repo.write({ 'b/notes.txt': 'b changes later\n' });
    commitAt(repo, 1_100_000_000, 'second');
  });
  afterAll(() => repo.cleanup());

  it("sets SOURCE_DATE_EPOCH to the time of the project's last commit, TZ=UTC and umask 022", () => {
    runShow(repo);
    expect(read('a')).toBe('1000000000|UTC|0022');
    expect(read('b')).toBe('1100000000|UTC|0022');
  });

  it('leaves a target that opts out as it was', () => {
    runShow(repo);
    expect(read('c')).toBe('|Asia/Kathmandu|0077');
  });

  it('lets a SOURCE_DATE_EPOCH from the environment win', () => {
    runShow(repo, { SOURCE_DATE_EPOCH: '1234' });
    expect(read('a')).toBe('1234|UTC|0022');
  });
});
