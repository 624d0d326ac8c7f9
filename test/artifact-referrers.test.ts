/**
 * End to end, against a real registry (Debian's docker-registry, the CNCF distribution registry
 * 2.8, which has no referrers API): `kiln artifact --push` attaches the SBOM and the provenance as
 * OCI referrers, `kiln artifact inspect` lists them back, locally and from the registry, the
 * documents pull back byte for byte, skopeo and umoci still accept the image, and `kiln promote`
 * refuses a version whose tag the registry no longer serves as recorded.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, runKiln, tempDir, type TempRepo } from './helpers/repo.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { findAptTools } from './helpers/tools.js';

const { registry: registryBin, skopeo, umoci } = findAptTools();

const files = {
  '.gitignore': 'dist/\n.kiln/\n',
  'package.json': { name: 'shop', private: true, workspaces: ['services/*'] },
  'nx.json': { targetDefaults: { build: { outputs: ['{projectRoot}/dist'], cache: true } }, kiln: { environments: ['staging'], artifacts: { projects: ['api', 'web'] } } },
  'services/api/package.json': { name: 'api', version: '1.0.0', scripts: { build: 'mkdir -p dist && cp src/* dist/' } },
  'services/api/src/index.js': 'console.log("api");\n',
  'services/web/package.json': { name: 'web', version: '2.0.0', scripts: { build: 'mkdir -p dist && cp src/* dist/' } },
  'services/web/src/index.js': 'console.log("web");\n',
};

interface Inspected {
  digest: string;
  referrers: { artifactType: string; digest: string; mediaType: string; size: number }[];
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe.skipIf(!registryBin)('OCI referrers with a real registry', () => {
  let registry: TestRegistry;
  let repo: TempRepo;
  let pushed: { project: string; digest: string; path: string; pushed: string };
  const api = (path: string, accept = 'application/vnd.oci.image.manifest.v1+json') => fetch(`http://${registry.host}/v2/shop/api/${path}`, { headers: { accept } });

  beforeAll(async () => {
    registry = await startRegistry(registryBin!);
    repo = createRepo(files);
    const r = repo.kiln(['artifact', '-p', 'api', '--push', `${registry.host}/shop/{projectName}`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    pushed = r.json().artifacts[0];
  });
  afterAll(async () => {
    repo?.cleanup();
    await registry?.stop();
  });

  it('lists the SBOM and the provenance as referrers, locally and from the registry, alike', () => {
    const local = repo.kiln(['artifact', 'inspect', 'api@1.0.0', '--json']);
    expect(local.code, local.stderr).toBe(0);
    const remote = repo.kiln(['artifact', 'inspect', 'api@1.0.0', '--remote', '--json']);
    expect(remote.code, remote.stderr).toBe(0);
    const [l, r] = [local.json<Inspected>(), remote.json<Inspected>()];
    expect(l.digest).toBe(pushed.digest);
    expect(r.digest).toBe(pushed.digest);
    expect(l.referrers.map((x) => x.artifactType).sort()).toEqual(['application/vnd.cyclonedx+json', 'application/vnd.in-toto+json']);
    expect(r.referrers.map((x) => [x.artifactType, x.digest]).sort()).toEqual(l.referrers.map((x) => [x.artifactType, x.digest]).sort());
    // The same from an explicit registry, and from a clone that never built it (nx.json's kiln.registry is not set: --registry).
    const other = tempDir('kiln-inspect-');
    git(other, ['clone', '-q', repo.dir, join(other, 'shop')]);
    const fresh = runKiln(['artifact', 'inspect', 'api@1.0.0', '--registry', `${registry.host}/shop/{projectName}`, '--json'], { cwd: join(other, 'shop') });
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(
      fresh
        .json<Inspected>()
        .referrers.map((x) => x.digest)
        .sort(),
    ).toEqual(l.referrers.map((x) => x.digest).sort());
  });

  it('without a referrers API, lists them under the fallback tag sha256-<hex>, an image index', async () => {
    const viaApi = await api(`referrers/${pushed.digest}`, 'application/vnd.oci.image.index.v1+json');
    expect(viaApi.status).toBe(404);
    const tag = await api(`manifests/${pushed.digest.replace(':', '-')}`, 'application/vnd.oci.image.index.v1+json');
    expect(tag.status).toBe(200);
    const index = JSON.parse(await tag.text());
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(index.manifests.map((m: { artifactType: string }) => m.artifactType).sort()).toEqual(['application/vnd.cyclonedx+json', 'application/vnd.in-toto+json']);
  });

  it('pulls the referrers back: manifests with the image as subject, documents byte for byte as written beside the tarball', async () => {
    const { referrers } = repo.kiln(['artifact', 'inspect', 'api@1.0.0', '--remote', '--json']).json<Inspected>();
    const besides: Record<string, string> = { 'application/vnd.cyclonedx+json': `${pushed.path}.cdx.json`, 'application/vnd.in-toto+json': `${pushed.path}.provenance.json` };
    for (const ref of referrers) {
      const manifestBytes = Buffer.from(await (await api(`manifests/${ref.digest}`)).arrayBuffer());
      expect(sha256(manifestBytes)).toBe(ref.digest);
      const manifest = JSON.parse(manifestBytes.toString('utf8'));
      expect(manifest).toMatchObject({ artifactType: ref.artifactType, subject: { digest: pushed.digest }, config: { mediaType: 'application/vnd.oci.empty.v1+json' } });
      const document = Buffer.from(await (await api(`blobs/${manifest.layers[0].digest}`)).arrayBuffer());
      expect(sha256(document)).toBe(manifest.layers[0].digest);
      expect(document.equals(readFileSync(join(repo.dir, besides[ref.artifactType]!)))).toBe(true);
    }
  });

  it.skipIf(!skopeo)('skopeo still reads the image and the referrers index', () => {
    const image = JSON.parse(execFileSync(skopeo!, ['inspect', '--tls-verify=false', `docker://${registry.host}/shop/api:1.0.0`], { encoding: 'utf8' }));
    expect(image.Digest).toBe(pushed.digest);
    const raw = JSON.parse(
      execFileSync(skopeo!, ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/shop/api:${pushed.digest.replace(':', '-')}`], { encoding: 'utf8' }),
    );
    expect(raw.manifests).toHaveLength(2);
    const layout = JSON.parse(execFileSync(skopeo!, ['inspect', `oci:${join(repo.dir, pushed.path)}:1.0.0`], { encoding: 'utf8' }));
    expect(layout.Digest).toBe(pushed.digest);
  });

  it.skipIf(!umoci)('umoci still unpacks the layout that holds the referrers', () => {
    const bundle = join(tempDir('kiln-bundle-'), 'b');
    execFileSync(umoci!, ['unpack', '--rootless', '--image', `${join(repo.dir, pushed.path)}:1.0.0`, bundle]);
    expect(readFileSync(join(bundle, 'rootfs/app/index.js'), 'utf8')).toBe(files['services/api/src/index.js']);
  });

  it('promote refuses an artifact whose tag the registry no longer serves as recorded', async () => {
    expect(repo.kiln(['promote', 'api@1.0.0', '--to', 'staging']).code).toBe(0);
    // Someone re-tags 1.0.0: here, with the SBOM's artifact manifest, which the repository holds.
    const { referrers } = repo.kiln(['artifact', 'inspect', 'api@1.0.0', '--json']).json<Inspected>();
    const other = Buffer.from(await (await api(`manifests/${referrers[0]!.digest}`)).arrayBuffer());
    const put = await fetch(`http://${registry.host}/v2/shop/api/manifests/1.0.0`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: other,
    });
    expect(put.status).toBe(201);
    const refused = repo.kiln(['promote', 'api@1.0.0', '--to', 'staging', '--json']);
    expect(refused.code).toBe(1);
    expect(refused.json().error).toMatchObject({ code: 'promote-digest-mismatch' });
    expect(refused.json().error.message).toBe(`api@1.0.0 is recorded as ${pushed.digest}, but the registry serves ${referrers[0]!.digest} as ${registry.host}/shop/api:1.0.0.`);
  });
});
