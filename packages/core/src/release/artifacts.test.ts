import { describe, expect, it } from 'vitest';
import { artifactFileName, artifactIndexText, artifactOutput, projectRepository, pushDestination, recordArtifact } from './artifacts.js';
import type { ArtifactSettings } from './config.js';
import type { ArtifactRecord } from './promote.js';

const settings = (over: Partial<ArtifactSettings> = {}): ArtifactSettings => ({ target: 'build', prefix: 'app', platform: { os: 'linux', architecture: 'amd64' }, container: {}, ...over });
const project = (targets: Record<string, { outputs?: string[] }>, root = 'services/catalog') => ({ name: '@shop/catalog', root, tags: [], dependencies: [], targets });
const record = (version: string, digest: string, pushed?: string[]): ArtifactRecord => ({
  project: 'catalog',
  version,
  digest,
  revision: 'r',
  inputHash: 'h',
  path: `dist/artifacts/catalog-${version}`,
  tarball: `dist/artifacts/catalog-${version}.tar.gz`,
  layerDigest: 'l',
  packages: {},
  ...(pushed && { pushed }),
});

describe('artifact names', () => {
  it('gives a file stem and an OCI repository per project', () => {
    expect(artifactFileName('@shop/catalog')).toBe('shop__catalog');
    expect(projectRepository('registry.example.com/{projectName}', '@Shop/Catalog_UI')).toBe('registry.example.com/shop/catalog_ui');
    expect(projectRepository('registry.example.com/shop/one', 'catalog')).toBe('registry.example.com/shop/one');
  });
});

describe('pushDestination', () => {
  it('takes --push HOST/NAME, or kiln.registry for --push alone, and nothing without --push', () => {
    expect(pushDestination('r.example.com/shop/x', 'other/{projectName}', 1)).toEqual({ ok: true, value: 'r.example.com/shop/x' });
    expect(pushDestination(true, 'r.example.com/{projectName}', 2)).toEqual({ ok: true, value: 'r.example.com/{projectName}' });
    expect(pushDestination(undefined, 'r.example.com/{projectName}', 2)).toEqual({ ok: true, value: undefined });
  });

  it('refuses --push alone without kiln.registry, and one repository for several projects', () => {
    const none = pushDestination(true, undefined, 1);
    expect(!none.ok && none.error.code).toBe('artifact-no-registry');
    const one = pushDestination('r.example.com/shop/x', undefined, 2);
    expect(!one.ok && one.error.code).toBe('artifact-push-ambiguous');
  });
});

describe('artifactOutput', () => {
  it("is the configured path, else the build target's first output, else {projectRoot}/dist", () => {
    expect(artifactOutput(project({ build: { outputs: ['{projectRoot}/out', '{projectRoot}/x'] } }), settings())).toEqual({ ok: true, value: 'services/catalog/out' });
    expect(artifactOutput(project({ build: { outputs: ['{workspaceRoot}/dist/catalog'] } }), settings({ path: '{projectRoot}/bin' }))).toEqual({ ok: true, value: 'services/catalog/bin' });
    expect(artifactOutput(project({ build: {} }), settings())).toEqual({ ok: true, value: 'services/catalog/dist' });
    expect(artifactOutput(project({ build: { outputs: ['{workspaceRoot}/dist/catalog'] } }), settings())).toEqual({ ok: true, value: 'dist/catalog' });
  });

  it('refuses globs and paths outside the workspace', () => {
    for (const path of ['{projectRoot}/dist/**', '../elsewhere', '{workspaceRoot}']) {
      const r = artifactOutput(project({ build: {} }), settings({ path }));
      expect(!r.ok && r.error.code).toBe('artifact-bad-output');
    }
  });
});

describe('the artifact index', () => {
  it('adds a new version, and replaces a rebuilt one, keeping where it was pushed only when the digest is unchanged', () => {
    const index = [record('1.0.0', 'sha256:a', ['r/catalog:1.0.0@sha256:a'])];
    const added = recordArtifact(index, record('1.1.0', 'sha256:b'));
    expect(added.index.map((a) => a.version)).toEqual(['1.0.0', '1.1.0']);
    expect(added.replacedDigest).toBeUndefined();

    const same = recordArtifact(index, record('1.0.0', 'sha256:a', ['s/catalog:1.0.0@sha256:a']));
    expect(same.index[0]!.pushed).toEqual(['r/catalog:1.0.0@sha256:a', 's/catalog:1.0.0@sha256:a']);
    expect(same.replacedDigest).toBeUndefined();

    const other = recordArtifact(index, record('1.0.0', 'sha256:c'));
    expect(other.index).toEqual([record('1.0.0', 'sha256:c')]);
    expect(other.replacedDigest).toBe('sha256:a');
    expect(index).toEqual([record('1.0.0', 'sha256:a', ['r/catalog:1.0.0@sha256:a'])]);
  });

  it('is written sorted by project, then version', () => {
    const text = artifactIndexText([record('1.1.0', 'b'), { ...record('2.0.0', 'c'), project: 'api' }, record('1.0.0', 'a')]);
    expect((JSON.parse(text) as { artifacts: ArtifactRecord[] }).artifacts.map((a) => `${a.project}@${a.version}`)).toEqual(['api@2.0.0', 'catalog@1.0.0', 'catalog@1.1.0']);
    expect(text.endsWith('}\n')).toBe(true);
  });
});
