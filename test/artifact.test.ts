/**
 * End to end: `kiln artifact` and `kiln promote` with the built binary on real git repositories:
 * reproducible artifacts from two clones, build once through the cache, OCI layouts that
 * skopeo and umoci accept, a push to a real registry and back, base images, promotion.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, runKiln, tempDir, type TempRepo } from './helpers/repo.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { findAptTools } from './helpers/tools.js';

// Without them, the tests that need them skip, and the run ends with a line saying so.
const { registry: registryBin, skopeo, umoci } = findAptTools();

const build = [
  "import { appendFileSync, cpSync, readFileSync, rmSync } from 'node:fs';",
  "const name = JSON.parse(readFileSync('package.json', 'utf8')).name;",
  "if (process.env.BUILD_LOG) appendFileSync(process.env.BUILD_LOG, name + '\\n');",
  "rmSync('dist', { recursive: true, force: true });",
  "if (name !== 'broken') cpSync('src', 'dist', { recursive: true });",
  '',
].join('\n');
const pkg = (name: string, version: string, deps: Record<string, string> = {}) => ({ name, version, private: true, main: 'dist/index.js', scripts: { build: 'node ../../tools/build.mjs' }, dependencies: deps });

const nxJson = (extra: Record<string, unknown> = {}) => ({
  targetDefaults: { build: { dependsOn: ['^build'], inputs: ['{projectRoot}/src/**/*', '^{projectRoot}/src/**/*'], outputs: ['{projectRoot}/dist'], cache: true } },
  release: { projectsRelationship: 'independent', releaseTag: { pattern: '{projectName}@{version}' } },
  kiln: { environments: ['staging', 'production'], artifacts: { projects: ['@shop/catalog', 'runtime'], ...extra } },
});

const files = {
  '.gitignore': 'dist/\n.kiln/\nnode_modules/\n',
  'package.json': { name: 'shop', private: true, workspaces: ['services/*', 'libs/*'] },
  'nx.json': nxJson(),
  'tools/build.mjs': build,
  'libs/money/package.json': pkg('@shop/money', '1.0.0'),
  'libs/money/src/index.js': 'export const cents = (x) => Math.round(x * 100);\n',
  'services/catalog/package.json': pkg('@shop/catalog', '0.4.0', { '@shop/money': '*' }),
  'services/catalog/src/index.js': 'import "@shop/money";\nconsole.log("catalog");\n',
  'services/catalog/src/bin/start': '#!/bin/sh\nexec node /app/index.js\n',
  'services/runtime/package.json': pkg('runtime', '1.0.0'),
  'services/runtime/src/index.js': 'console.log("runtime");\n',
  'services/broken/package.json': pkg('broken', '0.1.0'),
  'services/broken/src/index.js': '\n',
};

interface Artifact {
  project: string;
  version: string;
  digest: string;
  path: string;
  inputHash: string;
  pushed?: string;
}

describe('kiln artifact', () => {
  let repo: TempRepo;
  let first: Artifact[];
  const logDir = tempDir('kiln-builds-');
  const buildLog = join(logDir, 'builds.log');
  const env = { BUILD_LOG: buildLog };
  beforeAll(() => {
    repo = createRepo(files);
    chmodSync(join(repo.dir, 'services/catalog/src/bin/start'), 0o755);
    repo.commit('feat: start script is executable');
  });
  afterAll(() => {
    repo.cleanup();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('builds through the cache and packs each service', () => {
    const r = repo.kiln(['artifact', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    first = r.json<{ artifacts: Artifact[] }>().artifacts;
    expect(first.map((a) => [a.project, a.version, a.path])).toEqual([
      ['@shop/catalog', '0.4.0', 'dist/artifacts/shop__catalog-0.4.0'],
      ['runtime', '1.0.0', 'dist/artifacts/runtime-1.0.0'],
    ]);
    for (const a of first) expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(buildLog, 'utf8').trim().split('\n').sort()).toEqual(['@shop/catalog', '@shop/money', 'runtime']);
    const index = JSON.parse(readFileSync(join(repo.dir, 'dist/artifacts/artifacts.json'), 'utf8'));
    expect(index.artifacts[0]).toMatchObject({
      project: '@shop/catalog',
      version: '0.4.0',
      digest: first[0]!.digest,
      revision: repo.git('rev-parse', 'HEAD').trim(),
      inputHash: first[0]!.inputHash,
      tarball: 'dist/artifacts/shop__catalog-0.4.0.tar.gz',
      packages: { '@shop/catalog': '0.4.0', '@shop/money': '1.0.0' },
    });
    // The tarball: sorted entries under app/, fixed modes, owner 0, mtime = commit time.
    const listing = execFileSync('tar', ['--numeric-owner', '--full-time', '-tzvf', join(repo.dir, index.artifacts[0].tarball)], { encoding: 'utf8' }).trim().split('\n');
    const commitTime = new Date(Number(repo.git('show', '-s', '--format=%ct').trim()) * 1000).toISOString().replace('T', ' ').slice(0, 19);
    expect(listing.map((l) => l.replace(/\s+/g, ' '))).toEqual([
      `drwxr-xr-x 0/0 0 ${commitTime} app/`,
      `drwxr-xr-x 0/0 0 ${commitTime} app/bin/`,
      `-rwxr-xr-x 0/0 ${files['services/catalog/src/bin/start'].length} ${commitTime} app/bin/start`,
      `-rw-r--r-- 0/0 ${files['services/catalog/src/index.js'].length} ${commitTime} app/index.js`,
    ]);
  });

  it('does not build again at the same inputs, and gives the same digests', () => {
    const r = repo.kiln(['artifact', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ artifacts: Artifact[] }>().artifacts).toEqual(first);
    expect(readFileSync(buildLog, 'utf8').trim().split('\n')).toHaveLength(3);
  });

  it('gives byte-identical artifacts from a clone in another directory with other file times', () => {
    const other = tempDir('kiln-other-place-');
    const clone = join(other, 'deeper', 'shop');
    git(other, ['clone', '-q', repo.dir, clone]);
    const age = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === '.git') continue;
        if (e.isDirectory()) age(join(dir, e.name));
        utimesSync(join(dir, e.name), 946_684_800, 946_684_800);
      }
    };
    age(clone);
    const r = runKiln(['artifact', '--json'], { cwd: clone, env: { ...env, BUILD_LOG: join(other, 'log') } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ artifacts: Artifact[] }>().artifacts).toEqual(first);
    for (const f of ['shop__catalog-0.4.0.tar.gz', 'runtime-1.0.0.tar.gz', 'shop__catalog-0.4.0/index.json'])
      expect(readFileSync(join(clone, 'dist/artifacts', f)).equals(readFileSync(join(repo.dir, 'dist/artifacts', f)))).toBe(true);
    rmSync(other, { recursive: true, force: true });
  });

  it.skipIf(!skopeo)('writes an OCI layout skopeo accepts, with the annotations', () => {
    const out = JSON.parse(execFileSync(skopeo!, ['inspect', `oci:${join(repo.dir, first[0]!.path)}:0.4.0`], { encoding: 'utf8' }));
    expect(out.Digest).toBe(first[0]!.digest);
    expect(out.Labels).toMatchObject({
      'org.opencontainers.image.version': '0.4.0',
      'org.opencontainers.image.revision': repo.git('rev-parse', 'HEAD').trim(),
      'dev.kiln.input-hash': first[0]!.inputHash,
    });
    expect(out.Created).toBe(new Date(Number(repo.git('show', '-s', '--format=%ct').trim()) * 1000).toISOString().replace('.000Z', 'Z'));
  });

  it.skipIf(!umoci)('writes an OCI layout umoci unpacks', () => {
    const bundle = join(tempDir('kiln-bundle-'), 'b');
    execFileSync(umoci!, ['unpack', '--rootless', '--image', `${join(repo.dir, first[0]!.path)}:0.4.0`, bundle]);
    expect(readFileSync(join(bundle, 'rootfs/app/index.js'), 'utf8')).toBe(files['services/catalog/src/index.js']);
    rmSync(join(bundle, '..'), { recursive: true, force: true });
  });

  it('fails naming the project and the path when the build output is missing', () => {
    const r = repo.kiln(['artifact', '-p', 'broken'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('project "broken": its build output services/broken/dist does not exist after building broken:build.');
    expect(repo.kiln(['artifact', '-p', 'runtim']).stderr).toContain('Did you mean "runtime"?');
  });

  it('promotes only built versions, to production only through staging', () => {
    const never = repo.kiln(['promote', '@shop/catalog@9.9.9', '--to', 'staging']);
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('@shop/catalog@9.9.9 was never built');
    const early = repo.kiln(['promote', '@shop/catalog@0.4.0', '--to', 'production']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('is not in "staging", which must come before "production"');
    const log = readFileSync(buildLog, 'utf8');
    const staged = repo.kiln(['promote', '@shop/catalog@0.4.0', '--to', 'staging', '--json']);
    expect(staged.code, staged.stderr).toBe(0);
    expect(staged.json()).toEqual({ project: '@shop/catalog', version: '0.4.0', digest: first[0]!.digest, environment: 'staging' });
    expect(repo.kiln(['promote', '@shop/catalog@0.4.0', '--to', 'production']).code).toBe(0);
    expect(repo.kiln(['promote', 'runtime@1.0.0', '--to', 'staging']).code).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, 'environments/staging.json'), 'utf8'))).toEqual({
      '@shop/catalog': { version: '0.4.0', digest: first[0]!.digest },
      runtime: { version: '1.0.0', digest: first[1]!.digest },
    });
    expect(JSON.parse(readFileSync(join(repo.dir, 'environments/production.json'), 'utf8'))).toEqual({ '@shop/catalog': { version: '0.4.0', digest: first[0]!.digest } });
    // Promotion never builds.
    expect(readFileSync(buildLog, 'utf8')).toBe(log);
    expect(repo.kiln(['promote', 'catalog@0.4.0', '--to', 'staging']).stderr).toContain('Did you mean "@shop/catalog"?');
  });

  it('--affected packs only the artifact projects a change reaches', () => {
    repo.commit('fix(runtime): log less', { 'services/runtime/src/index.js': 'console.log("rt");\n' });
    const r = repo.kiln(['artifact', '--affected', '--base', 'HEAD~1', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json<{ artifacts: Artifact[] }>().artifacts.map((a) => a.project)).toEqual(['runtime']);
    repo.commit('fix(money): rounding', { 'libs/money/src/index.js': 'export const cents = (x) => Math.round(x * 100 + 1e-9);\n' });
    const viaLib = repo.kiln(['artifact', '--affected', '--base', 'HEAD~1', '--json'], { env });
    expect(viaLib.json<{ artifacts: Artifact[] }>().artifacts.map((a) => a.project)).toEqual(['@shop/catalog']);
  });

  describe.skipIf(!registryBin)('with a real registry (docker-registry)', () => {
    let registry: TestRegistry;
    beforeAll(async () => {
      registry = await startRegistry(registryBin!);
    });
    afterAll(async () => registry?.stop());

    it('pushes blobs and a manifest tagged with the version, which pull back with the same digests', async () => {
      const r = repo.kiln(['artifact', '-p', 'runtime', '--push', `${registry.host}/shop/{projectName}`, '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const [a] = r.json<{ artifacts: Artifact[] }>().artifacts;
      expect(a!.pushed).toBe(`${registry.host}/shop/runtime:1.0.0@${a!.digest}`);
      const res = await fetch(`http://${registry.host}/v2/shop/runtime/manifests/1.0.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
      expect(res.headers.get('docker-content-digest')).toBe(a!.digest);
      const manifest = JSON.parse(await res.text());
      const layout = join(repo.dir, a!.path);
      for (const d of [manifest.config, ...manifest.layers]) {
        const blob = Buffer.from(await (await fetch(`http://${registry.host}/v2/shop/runtime/blobs/${d.digest}`)).arrayBuffer());
        expect(blob.equals(readFileSync(join(layout, 'blobs/sha256', d.digest.slice(7))))).toBe(true);
      }
      if (skopeo) {
        const remote = JSON.parse(execFileSync(skopeo, ['inspect', '--tls-verify=false', `docker://${registry.host}/shop/runtime:1.0.0`], { encoding: 'utf8' }));
        expect(remote.Digest).toBe(a!.digest);
      }
    });

    it('stacks a service on a base image from a layout on disk or from the registry, alike', () => {
      const layers = (base: string) => {
        writeFileSync(join(repo.dir, 'nx.json'), JSON.stringify(nxJson({ overrides: { '@shop/catalog': { base, cmd: ['node', '/app/index.js'] } } })));
        const r = repo.kiln(['artifact', '-p', '@shop/catalog', '--json'], { env });
        expect(r.code, r.stderr).toBe(0);
        const path = join(repo.dir, r.json<{ artifacts: Artifact[] }>().artifacts[0]!.path);
        const index = JSON.parse(readFileSync(join(path, 'index.json'), 'utf8'));
        const manifest = JSON.parse(readFileSync(join(path, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8'));
        return { layers: manifest.layers.map((l: { digest: string }) => l.digest), path };
      };
      const runtimeLayer = JSON.parse(readFileSync(join(repo.dir, 'dist/artifacts/artifacts.json'), 'utf8')).artifacts.find((x: Artifact) => x.project === 'runtime').layerDigest;
      const fromDisk = layers('oci:dist/artifacts/runtime-1.0.0:1.0.0');
      expect(fromDisk.layers).toHaveLength(2);
      expect(fromDisk.layers[0]).toBe(runtimeLayer);
      const fromRegistry = layers(`${registry.host}/shop/runtime:1.0.0`);
      expect(fromRegistry.layers).toEqual(fromDisk.layers);
      if (umoci) {
        const bundle = join(tempDir('kiln-bundle-'), 'b');
        execFileSync(umoci, ['unpack', '--rootless', '--image', `${fromRegistry.path}:0.4.0`, bundle]);
        // The service's files over the base's: both layers applied.
        expect(existsSync(join(bundle, 'rootfs/app/bin/start'))).toBe(true);
        rmSync(join(bundle, '..'), { recursive: true, force: true });
      }
      repo.git('checkout', 'nx.json');
    });

    it('--publish pushes to kiln.registry, and a version tag is never overwritten with other contents', () => {
      const withRegistry = { ...nxJson(), kiln: { ...nxJson().kiln, registry: `${registry.host}/pub/{projectName}` } };
      repo.commit('chore: registry', { 'nx.json': withRegistry });
      const r = repo.kiln(['artifact', '-p', 'runtime', '--publish', '--json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const [a] = r.json<{ artifacts: Artifact[] }>().artifacts;
      expect(a!.pushed).toBe(`${registry.host}/pub/runtime:1.0.0@${a!.digest}`);
      repo.commit('fix(runtime): quieter', { 'services/runtime/src/index.js': 'console.log("r");\n' });
      const again = repo.kiln(['artifact', '-p', 'runtime', '--publish'], { env });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`${registry.host}/pub/runtime:1.0.0 already holds ${a!.digest}, not this build`);
      // A fresh clone (no dist/, as in a later CI job) promotes what the registry holds, without building.
      const other = tempDir('kiln-promote-');
      git(other, ['clone', '-q', repo.dir, join(other, 'shop')]);
      const promoted = runKiln(['promote', 'runtime@1.0.0', '--to', 'staging', '--json'], { cwd: join(other, 'shop'), env });
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(promoted.json()).toEqual({ project: 'runtime', version: '1.0.0', digest: a!.digest, environment: 'staging' });
      expect(existsSync(join(other, 'shop/dist'))).toBe(false);
      expect(runKiln(['promote', 'runtime@1.0.1', '--to', 'staging'], { cwd: join(other, 'shop') }).stderr).toContain('runtime@1.0.1 was never built');
      rmSync(other, { recursive: true, force: true });
    });
  });
});
