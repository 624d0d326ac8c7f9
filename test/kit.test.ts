/** The test kit itself (test/helpers/): the environment every program a test starts finds, and the git clock. */
import { afterAll, describe, expect, it } from 'vitest';
import { epoch } from './helpers/env.js';
import { createRepo, start } from './helpers/repo.js';

describe('the test kit', () => {
  const repo = createRepo({ 'a.txt': 'a\n' });
  afterAll(() => repo.cleanup());

  it('starts programs without KILN_*, NX_*, TURBO_*, GIT_* or npm_* from outside, unless the test passes them', async () => {
    const outside = { KILN_TRACE: '1', NX_DAEMON: 'true', TURBO_TOKEN: 't', GIT_DIR: '/nowhere', npm_lifecycle_event: 'test', DOCKER_CONFIG: '/nowhere' };
    Object.assign(process.env, outside);
    try {
      const run = await start(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env))'], { cwd: repo.dir, env: { KILN_TEST_STAMP: 'given' } }).done;
      const env = run.json<Record<string, string>>();
      for (const key of Object.keys(outside)) expect(env[key], key).toBeUndefined();
      expect(env).toMatchObject({ KILN_TEST_STAMP: 'given', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'kiln test', CI: '1' });
      expect(env.HOME).toMatch(/kiln-home-/);
    } finally {
      for (const key of Object.keys(outside)) delete process.env[key];
    }
  });

  it('gives the test worker the same environment (vitest setupFiles), for code tested in-process', () => {
    expect(Object.keys(process.env).filter((key) => /^(KILN|NX|TURBO)_/.test(key))).toEqual([]);
    expect(process.env.GIT_AUTHOR_EMAIL).toBe('test@kiln.invalid');
    expect(process.env.HOME).toMatch(/kiln-home-/);
  });

  it('commits one second after another from a fixed start, so the same steps give the same commits', () => {
    const first = repo.commit('one', { 'a.txt': 'b\n' });
    repo.commit('two', { 'a.txt': 'c\n' });
    const times = repo
      .git('log', '--format=%at %ct')
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number));
    for (const [author, committer] of times) expect(author).toBe(committer);
    const authored = times.map(([author]) => author!).reverse();
    expect(authored).toEqual([...authored].sort((a, b) => a - b));
    expect(new Set(authored).size).toBe(3);
    expect(authored[0]).toBeGreaterThan(epoch);
    expect(authored[2]).toBeLessThan(epoch + 60);
    const again = createRepo({ 'a.txt': 'a\n' });
    try {
      expect(again.commit('one', { 'a.txt': 'b\n' })).toBe(first);
    } finally {
      again.cleanup();
    }
  });
});
