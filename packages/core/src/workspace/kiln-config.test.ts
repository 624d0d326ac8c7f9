import { describe, expect, it } from 'vitest';
import { buildWorkspace } from './projects.js';
import { DEFAULT_CACHE_MAX_SIZE, sizeInBytes } from './kiln-config.js';

const root = '/ws';

/** Builds a workspace whose nx.json is `nxJson` (a string, so that positions are known). */
function build(nxJson: string) {
  const files: Record<string, string> = { 'nx.json': nxJson, 'package.json': '{"name": "r"}' };
  return buildWorkspace({ root, files: Object.keys(files).sort(), read: (p) => files[p] });
}

function problems(nxJson: string): string[] {
  const r = build(nxJson);
  if (r.ok) return [];
  return r.error.map((d) => `${d.location?.line}:${d.location?.column} ${d.message}`);
}

describe('kiln config (nx.json "kiln")', () => {
  it('without a "kiln" key, the defaults', () => {
    const r = build('{}');
    if (!r.ok) throw new Error(r.error[0]!.message);
    expect(r.value.kiln).toEqual({ cacheDirectory: '/ws/.kiln/cache', cacheMaxSize: DEFAULT_CACHE_MAX_SIZE, restoreMode: 'link', owners: {}, artifacts: { overrides: {} }, environments: [] });
  });

  it('every setting, typed', () => {
    const r = build(
      JSON.stringify({
        kiln: {
          cacheDirectory: '../shared-cache',
          cacheMaxSize: '1.5 kb',
          restoreMode: 'copy',
          owners: { known: ['@org/*'] },
          registry: 'r.example.com/{projectName}',
          environments: ['staging', 'production'],
          artifacts: { projects: ['tag:svc'], outputDir: 'out', source: false, platform: 'linux/arm64/v8', cmd: ['node'], overrides: { a: { user: 'app', platform: 'linux/amd64' } } },
        },
      }),
    );
    if (!r.ok) throw new Error(r.error[0]!.message);
    expect(r.value.kiln).toEqual({
      cacheDirectory: '/shared-cache',
      cacheMaxSize: 1536,
      restoreMode: 'copy',
      owners: { known: ['@org/*'] },
      registry: 'r.example.com/{projectName}',
      environments: ['staging', 'production'],
      artifacts: {
        projects: ['tag:svc'],
        outputDir: 'out',
        source: false,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        cmd: ['node'],
        overrides: { a: { user: 'app', platform: { os: 'linux', architecture: 'amd64' } } },
      },
    });
  });

  it('sizes: bytes or a number with a unit, more than 0', () => {
    expect(sizeInBytes(1000)).toBe(1000);
    expect(sizeInBytes('5GB')).toBe(5 * 1024 ** 3);
    expect(sizeInBytes(' 500 mb ')).toBe(500 * 1024 ** 2);
    expect(sizeInBytes('lots')).toBe('must be a number of bytes or a size like "5GB" or "500MB", not "lots"');
    expect(sizeInBytes(true)).toBe('must be a number of bytes or a size like "5GB" or "500MB", not boolean true');
    expect(sizeInBytes(0)).toBe('must be more than 0 bytes, not 0');
    expect(sizeInBytes('0GB')).toBe('must be more than 0 bytes, not "0GB"');
    expect(sizeInBytes(-1)).toBe('must be more than 0 bytes, not -1');
  });

  it('each wrong value is reported at its key, all of them at once', () => {
    const nx = `{
  "kiln": {
    "cacheMaxSize": "lots",
    "restoreMode": "hard",
    "owners": { "known": "@org" },
    "environments": "prod",
    "artifacts": { "platform": "windows", "overrides": { "a": { "cmd": "node x" } } }
  }
}`;
    expect(problems(nx)).toEqual([
      '3:5 "kiln.cacheMaxSize" must be a number of bytes or a size like "5GB" or "500MB", not "lots"',
      '4:5 "kiln.restoreMode" must be one of "link", "copy", not string "hard"',
      '6:5 "kiln.environments" must be a list of environment names, in promotion order, not string "prod"',
      '5:17 "kiln.owners.known" must be an array of strings, not string "@org"',
      '7:65 "kiln.artifacts.overrides.a.cmd" must be an array of strings, not string "node x"',
      '7:20 "kiln.artifacts.platform" must be a platform like "linux/amd64" or "linux/arm64/v8", not string "windows"',
    ]);
  });

  it('a cache directory that is empty, the workspace root or holds it is refused (the cache would evict the workspace)', () => {
    expect(problems('{"kiln": {"cacheDirectory": ""}}')).toEqual([expect.stringContaining('"kiln.cacheDirectory" is empty')]);
    expect(problems('{"kiln": {"cacheDirectory": "."}}')).toEqual([expect.stringContaining('"kiln.cacheDirectory" is ".", which is the workspace root')]);
    expect(problems('{"kiln": {"cacheDirectory": "/ws/"}}')).toEqual([expect.stringContaining('which is the workspace root')]);
    expect(problems('{"kiln": {"cacheDirectory": ".."}}')).toEqual([expect.stringContaining('"kiln.cacheDirectory" is "..", which holds the workspace')]);
    expect(problems('{"kiln": {"cacheDirectory": "/"}}')).toEqual([expect.stringContaining('which holds the workspace')]);
    expect(problems('{"kiln": {"cacheDirectory": 3}}')).toEqual(['1:11 "kiln.cacheDirectory" must be a string, not number 3']);
    expect(problems('{"kiln": {"cacheDirectory": "../ws-cache"}}')).toEqual([]);
  });

  it('the hint points at kiln\'s settings, not at Nx\'s reference', () => {
    const r = build('{"kiln": 3}');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error[0]!.message).toBe('"kiln" must be an object, not number 3');
    expect(r.error[0]!.hint).toContain("kiln's README");
  });

  it('kiln.remoteCache: typed, each wrong value located, and a token in nx.json refused', () => {
    const ok = build('{"kiln": {"remoteCache": {"url": "https://cache.example.com", "protocol": "bazel", "team": "t", "timeout": 2000, "readOnly": true, "uploadConcurrency": 4, "runBundles": false}}}');
    expect(ok.ok && ok.value.kiln.remoteCache).toEqual({ url: 'https://cache.example.com', protocol: 'bazel', team: 't', timeout: 2000, readOnly: true, uploadConcurrency: 4, runBundles: false });
    const nx = `{
  "kiln": {
    "remoteCache": {
      "url": "cache.example.com",
      "protocol": "grpc",
      "timeout": -5,
      "readOnly": "yes",
      "token": "s3cret"
    }
  }
}`;
    const found = problems(nx);
    expect(found).toEqual([
      expect.stringMatching(/^8:7 "kiln.remoteCache.token" is not read from nx.json: .* set KILN_REMOTE_CACHE_TOKEN/),
      '4:7 "kiln.remoteCache.url" must be an http(s) URL like "https://cache.example.com", not "cache.example.com"',
      '5:7 "kiln.remoteCache.protocol" must be one of "turbo", "bazel", not string "grpc"',
      '6:7 "kiln.remoteCache.timeout" must be a number of milliseconds above 0, not number -5',
      '7:7 "kiln.remoteCache.readOnly" must be true or false, not string "yes"',
    ]);
    expect(found.join('\n')).not.toContain('s3cret');
  });
});
