import { describe, expect, it } from 'vitest';
import { remoteCacheSettings } from './settings.js';

const on = (r: ReturnType<typeof remoteCacheSettings>) => {
  if (r.status !== 'on') throw new Error(`expected settings, got ${JSON.stringify(r)}`);
  return r.settings;
};

describe('remote cache settings', () => {
  it('are off without a URL anywhere', () => {
    expect(remoteCacheSettings(undefined, {})).toEqual({ status: 'off' });
    expect(remoteCacheSettings({ team: 't' }, { TURBO_TOKEN: 'x' })).toEqual({ status: 'off' });
  });

  it("take nx.json's settings, with defaults", () => {
    expect(on(remoteCacheSettings({ url: 'https://cache.example.com/base/', protocol: 'bazel', timeout: 2500, readOnly: true }, {}))).toEqual({
      url: 'https://cache.example.com/base',
      protocol: 'bazel',
      timeoutMs: 2500,
      readOnly: true,
      uploadConcurrency: 8,
      runBundles: 'fetch',
    });
  });

  it('fetch run bundles, and upload them only in CI unless told', () => {
    const url = { url: 'https://cache.example.com' };
    expect(on(remoteCacheSettings(url, {})).runBundles).toBe('fetch');
    expect(on(remoteCacheSettings(url, { CI: 'true' })).runBundles).toBe('upload');
    expect(on(remoteCacheSettings(url, { CI: 'false' })).runBundles).toBe('fetch');
    expect(on(remoteCacheSettings({ ...url, runBundles: false }, { CI: '1' })).runBundles).toBe('off');
    expect(on(remoteCacheSettings({ ...url, runBundles: true }, {})).runBundles).toBe('upload');
    expect(on(remoteCacheSettings({ ...url, runBundles: true }, { KILN_REMOTE_CACHE_RUN_BUNDLES: '0' })).runBundles).toBe('off');
    expect(on(remoteCacheSettings(url, { KILN_REMOTE_CACHE_RUN_BUNDLES: 'yes' })).runBundles).toBe('upload');
    const bad = remoteCacheSettings(url, { KILN_REMOTE_CACHE_RUN_BUNDLES: 'sometimes' });
    expect(bad.status === 'invalid' && bad.diagnostic.message).toBe('KILN_REMOTE_CACHE_RUN_BUNDLES must be true or false (1 or 0), not "sometimes"');
  });

  it("accept turbo's own variables, and kiln's over them, over nx.json", () => {
    const turbo = on(
      remoteCacheSettings(
        { url: 'https://nx-json.example' },
        {
          TURBO_API: 'https://turbo.example',
          TURBO_TOKEN: 't1',
          TURBO_TEAM: 'team',
          TURBO_TEAMID: 'team_1',
          TURBO_REMOTE_CACHE_SIGNATURE_KEY: 'k',
          TURBO_REMOTE_CACHE_READ_ONLY: 'true',
          TURBO_REMOTE_CACHE_TIMEOUT: '3',
        },
      ),
    );
    expect(turbo).toMatchObject({
      url: 'https://turbo.example',
      protocol: 'turbo',
      token: 't1',
      team: 'team',
      teamId: 'team_1',
      signatureKey: 'k',
      readOnly: true,
      timeoutMs: 3000,
    });
    const kiln = on(
      remoteCacheSettings(
        {},
        {
          TURBO_API: 'https://turbo.example',
          KILN_REMOTE_CACHE_URL: 'http://kiln.example',
          TURBO_TOKEN: 't1',
          KILN_REMOTE_CACHE_TOKEN: 't2',
          KILN_REMOTE_CACHE_TIMEOUT: '150',
          KILN_REMOTE_CACHE_READ_ONLY: '0',
          TURBO_REMOTE_CACHE_READ_ONLY: '1',
        },
      ),
    );
    expect(kiln).toMatchObject({ url: 'http://kiln.example', token: 't2', timeoutMs: 150, readOnly: false });
  });

  it('KILN_REMOTE_CACHE=off turns it off whatever else is set', () => {
    expect(remoteCacheSettings({ url: 'https://x.example' }, { KILN_REMOTE_CACHE: 'off', TURBO_API: 'https://y.example' })).toEqual({ status: 'off' });
  });

  it('takes credentials out of the URL (Basic auth), so no message shows them', () => {
    const s = on(remoteCacheSettings(undefined, { KILN_REMOTE_CACHE_URL: 'https://user:p%40ss@cache.example/x?q=1', KILN_REMOTE_CACHE_PROTOCOL: 'bazel' }));
    expect(s.url).toBe('https://cache.example/x');
    expect(s.basicAuth).toBe('user:p@ss');
  });

  it('name the variable that is wrong, never its secret neighbours', () => {
    const cases: [Record<string, string>, string][] = [
      [{ KILN_REMOTE_CACHE_URL: 'ftp://x', KILN_REMOTE_CACHE_TOKEN: 'secret' }, 'KILN_REMOTE_CACHE_URL must be an http(s) URL'],
      [{ TURBO_API: 'not a url', TURBO_TOKEN: 'secret' }, 'TURBO_API must be an http(s) URL'],
      [{ KILN_REMOTE_CACHE_URL: 'http://x', KILN_REMOTE_CACHE_PROTOCOL: 'grpc' }, 'KILN_REMOTE_CACHE_PROTOCOL must be "turbo" or "bazel", not "grpc"'],
      [{ KILN_REMOTE_CACHE_URL: 'http://x', KILN_REMOTE_CACHE_TIMEOUT: 'soon' }, 'KILN_REMOTE_CACHE_TIMEOUT must be a number above 0'],
      [{ KILN_REMOTE_CACHE_URL: 'http://x', KILN_REMOTE_CACHE_READ_ONLY: 'maybe' }, 'KILN_REMOTE_CACHE_READ_ONLY must be true or false'],
    ];
    for (const [env, message] of cases) {
      const r = remoteCacheSettings(undefined, env);
      if (r.status !== 'invalid') throw new Error(`expected invalid for ${JSON.stringify(env)}`);
      expect(r.diagnostic.code).toBe('invalid-config');
      expect(r.diagnostic.message).toContain(message);
      expect(JSON.stringify(r.diagnostic)).not.toContain('secret');
    }
  });
});
