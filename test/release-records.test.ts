/**
 * End to end: what `kiln artifact` and `kiln promote` read back (the artifact index, environment
 * files, the registry) is checked before any work, and anything wrong is a clear error naming its
 * file, line and column, never a crash (exit 70) and never a file rewritten over (issue 17). And
 * the manifests release reads versions from are read as every other command reads them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, kilnBin, type TempRepo } from './helpers/repo.js';

const nxJson = (kiln: Record<string, unknown> = {}) => ({
  targetDefaults: { build: { outputs: ['{projectRoot}/dist'], cache: true } },
  release: { projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}@{version}' } },
  kiln: { artifacts: { projects: ['catalog'] }, ...kiln },
});

describe('kiln artifact and promote read back only well-formed records', () => {
  let repo: TempRepo;
  let buildLog: string;
  const env = () => ({ BUILD_LOG: buildLog });
  const builds = () => (existsSync(buildLog) ? readFileSync(buildLog, 'utf8').split('\n').filter(Boolean).length : 0);
  const index = () => join(repo.dir, 'dist/artifacts/artifacts.json');
  beforeAll(() => {
    repo = createRepo({
      '.gitignore': 'dist/\n.kiln/\n',
      'package.json': { name: 'shop', private: true, workspaces: ['services/*'] },
      'nx.json': nxJson(),
      'tools/build.mjs': "import { appendFileSync, cpSync } from 'node:fs';\nappendFileSync(process.env.BUILD_LOG, 'built\\n');\ncpSync('src', 'dist', { recursive: true });\n",
      'services/catalog/package.json': { name: 'catalog', version: '1.0.0', private: true, scripts: { build: 'node ../../tools/build.mjs' } },
      'services/catalog/src/index.js': 'console.log("catalog");\n',
    });
    buildLog = join(repo.dir, '.git', 'builds.log');
  });
  afterAll(() => repo.cleanup());

  it('--push with a reference that is not HOST/NAME fails with exit 2 before building or packing anything', () => {
    const r = repo.kiln(['artifact', '--push', 'not a ref!!'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"not a ref!!" is not HOST/NAME');
    expect(builds()).toBe(0);
    expect(existsSync(join(repo.dir, 'dist'))).toBe(false);
    expect(existsSync(join(repo.dir, 'services/catalog/dist'))).toBe(false);
  });

  it('an artifact index of the wrong shape is an exit-2 error at its file, line and column, for promote and for artifact before it builds', () => {
    const good = repo.kiln(['artifact', '--json'], { env: env() });
    expect(good.code, good.stderr).toBe(0);
    const built = builds();
    const cases: [string, { line: number; column: number; message: string }][] = [
      ['[1, 2]\n', { line: 1, column: 1, message: 'the artifact index must be an object with an "artifacts" list, not [1,2].' }],
      ['null\n', { line: 1, column: 1, message: 'the artifact index must be an object with an "artifacts" list, not null.' }],
      ['{\n  "artifacts": 5\n}\n', { line: 2, column: 3, message: 'the artifact index must be an object with an "artifacts" list, not "artifacts": 5.' }],
      ['{\n  "artifacts": [\n    1\n  ]\n}\n', { line: 3, column: 5, message: 'artifacts[0] must be an object describing one artifact, not 1.' }],
    ];
    const record = JSON.parse(readFileSync(index(), 'utf8')).artifacts[0];
    const wrongDigest = `${JSON.stringify({ artifacts: [{ ...record, digest: 'sha256:abc' }] }, null, 2)}\n`;
    const digestLine = wrongDigest.split('\n').findIndex((l) => l.includes('"digest"')) + 1;
    cases.push([wrongDigest, { line: digestLine, column: 7, message: 'artifacts[0].digest must be a digest ("sha256:" and 64 hex digits), not "sha256:abc".' }]);
    for (const [text, where] of cases) {
      writeFileSync(index(), text);
      const promote = repo.kiln(['promote', 'catalog@1.0.0', '--to', 'staging', '--json']);
      expect([promote.code, promote.json().error]).toEqual([2, expect.objectContaining({ code: 'artifact-index-invalid', file: 'dist/artifacts/artifacts.json', ...where })]);
      const artifact = repo.kiln(['artifact'], { env: env() });
      expect(artifact.code).toBe(2);
      expect(artifact.stderr).toContain(`dist/artifacts/artifacts.json:${where.line}:${where.column}: ${where.message}`);
      expect(readFileSync(index(), 'utf8')).toBe(text);
    }
    expect(builds()).toBe(built);
    expect(existsSync(join(repo.dir, 'environments'))).toBe(false);
  });

  it('an environment file of the wrong shape is an error naming it, and is never rewritten', () => {
    rmSync(index());
    expect(repo.kiln(['artifact'], { env: env() }).code).toBe(0);
    mkdirSync(join(repo.dir, 'environments'));
    for (const [text, line, column] of [
      ['[1,2]\n', 1, 1],
      ['{\n  "catalog": 5\n}\n', 2, 3],
      ['{\n  "other": { "version": "2.0.0", "digest": "md5:x" }\n}\n', 2, 34],
    ] as const) {
      writeFileSync(join(repo.dir, 'environments/staging.json'), text);
      const r = repo.kiln(['promote', 'catalog@1.0.0', '--to', 'staging', '--json']);
      expect([r.code, r.json().error]).toEqual([2, expect.objectContaining({ code: 'environment-invalid', file: 'environments/staging.json', line, column })]);
      expect(readFileSync(join(repo.dir, 'environments/staging.json'), 'utf8')).toBe(text);
    }
    rmSync(join(repo.dir, 'environments/staging.json'));
    const ok = repo.kiln(['promote', 'catalog@1.0.0', '--to', 'staging']);
    expect(ok.code, ok.stderr).toBe(0);
    // The name is checked before any file is read: ../outside.json is never opened.
    writeFileSync(join(repo.dir, 'outside.json'), '[1,2]\n');
    const outside = repo.kiln(['promote', 'catalog@1.0.0', '--to', '../outside', '--json']);
    expect([outside.code, outside.json().error.code]).toEqual([2, 'promote-bad-environment']);
  });

  it('a registry that fails during promote is reported as the registry error (exit 1), never as "was never built"', async () => {
    const unavailable = await answering(503);
    const absent = await answering(404);
    try {
      repo.write({ 'nx.json': nxJson({ registry: `${unavailable.host}/shop/{projectName}` }) });
      const failed = await kilnAsync(repo.dir, ['promote', 'catalog@2.0.0', '--to', 'staging']);
      expect(failed.code, failed.stderr).toBe(1);
      expect(failed.stderr).toContain(`registry ${unavailable.host}: check manifest 2.0.0 failed with HTTP 503`);
      expect(failed.stderr).not.toContain('never built');

      repo.write({ 'nx.json': nxJson({ registry: `${absent.host}/shop/{projectName}` }) });
      const never = await kilnAsync(repo.dir, ['promote', 'catalog@2.0.0', '--to', 'staging']);
      expect(never.code, never.stderr).toBe(1);
      expect(never.stderr).toContain(`catalog@2.0.0 was never built (${absent.host}/shop/catalog has no tag 2.0.0 either)`);

      repo.write({ 'nx.json': nxJson({ registry: 'no registry here' }) });
      const bad = await kilnAsync(repo.dir, ['promote', 'catalog@2.0.0', '--to', 'staging']);
      expect(bad.code, bad.stderr).toBe(2);
      expect(bad.stderr).toContain('"no registry here" is not HOST/NAME');
    } finally {
      repo.git('checkout', '--', 'nx.json');
      await Promise.all([unavailable.stop(), absent.stop()]);
    }
  });
});

describe('kiln release reads a manifest as kiln projects does', () => {
  it('takes a package.json with a byte order mark and a comment, and writes the new version keeping both', () => {
    const repo = createRepo({
      'package.json': { name: 'shop', private: true, workspaces: ['services/*'] },
      'nx.json': nxJson(),
      'services/catalog/package.json': '\uFEFF{\n  "name": "catalog",\n  // released by kiln\n  "version": "1.0.0"\n}\n',
    });
    try {
      repo.commit('feat: more', { 'services/catalog/src/index.js': 'export {};\n' });
      expect(repo.kiln(['projects']).code).toBe(0);
      const r = repo.kiln(['release', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json().projects.catalog).toMatchObject({ current: '1.0.0', next: '1.1.0' });
      expect(readFileSync(join(repo.dir, 'services/catalog/package.json'), 'utf8')).toBe('\uFEFF{\n  "name": "catalog",\n  // released by kiln\n  "version": "1.1.0"\n}\n');
      repo.write({ 'services/catalog/package.json': '{\n  "name": "catalog",\n  "version": "one"\n}\n' });
      const bad = repo.kiln(['release', '--dry-run', '--json']);
      expect([bad.code, bad.json().error]).toEqual([2, expect.objectContaining({ code: 'manifest-bad-version', file: 'services/catalog/package.json', line: 3, column: 3 })]);
    } finally {
      repo.cleanup();
    }
  });
});

/** A registry that answers every request with `status`. */
async function answering(status: number): Promise<{ host: string; stop: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The kiln binary, run without blocking this process (its registry is served from here). */
function kilnAsync(cwd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [kilnBin, ...args], { cwd, env: { ...process.env, CI: '1', NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
