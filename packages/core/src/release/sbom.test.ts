import { describe, expect, it } from 'vitest';
import { parseLockfile } from '../lockfile/index.js';
import { canonicalBytes } from './oci.js';
import { cycloneDx, integrityHashes, npmPurl, runtimePackages, type SbomProject } from './sbom.js';

const lock = (file: string, text: string) => {
  const r = parseLockfile(file, text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const project = (name: string, root: string, runtimeNames: string[], dependsOn: string[] = []): SbomProject => ({ name, root, version: '1.0.0', dependsOn, runtimeNames });
const listed = (r: ReturnType<typeof runtimePackages>) => [...r.packages.values()].map((p) => `${p.name}@${p.version} ${p.integrity ?? '-'} → ${p.dependsOn.join(',')}`);

const pnpm9 = `lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      typescript: {specifier: ^5, version: 5.0.0}
  services/web:
    dependencies:
      express: {specifier: ^4, version: 4.18.0}
      '@org/lib': {specifier: workspace:*, version: link:../../libs/lib}
    devDependencies:
      vitest: {specifier: ^3, version: 3.0.0}
  libs/lib:
    dependencies:
      react-dom: {specifier: ^18, version: 18.2.0(react@18.2.0)}
packages:
  typescript@5.0.0: {resolution: {integrity: sha512-dHM=}}
  vitest@3.0.0: {resolution: {integrity: sha512-dml0}}
  express@4.18.0: {resolution: {integrity: sha512-ZXhw}}
  qs@6.11.0: {resolution: {integrity: sha512-cXM=}}
  react@18.2.0: {resolution: {integrity: sha512-cmVhY3Q=}}
  react-dom@18.2.0: {resolution: {integrity: sha512-cmQ=}}
snapshots:
  typescript@5.0.0: {}
  vitest@3.0.0: {}
  express@4.18.0: {dependencies: {qs: 6.11.0}}
  qs@6.11.0: {}
  react@18.2.0: {}
  react-dom@18.2.0(react@18.2.0): {dependencies: {react: 18.2.0}}
`;

const berry = `__metadata:
  version: 8
  cacheKey: 10

"express@npm:^4.18.0":
  version: 4.18.2
  resolution: "express@npm:4.18.2"
  dependencies:
    qs: "npm:^6.11.0"
  checksum: 10c0/abcd
  languageName: node
  linkType: hard

"qs@npm:^6.11.0":
  version: 6.11.2
  resolution: "qs@npm:6.11.2"
  checksum: 10c0/ef01
  languageName: node
  linkType: hard

"web@workspace:services/web":
  version: 0.0.0-use.local
  resolution: "web@workspace:services/web"
  dependencies:
    express: "npm:^4.18.0"
  languageName: unknown
  linkType: soft
`;

describe('runtimePackages', () => {
  it("pnpm: the importers' runtime packages and what they pull in, not dev dependencies, workspace links left out", () => {
    const r = runtimePackages(lock('pnpm-lock.yaml', pnpm9), [project('web', 'services/web', ['express', '@org/lib'], ['lib']), project('lib', 'libs/lib', ['react-dom'])]);
    expect(listed(r)).toEqual([
      'express@4.18.0 sha512-ZXhw → pkg:npm/qs@6.11.0',
      'qs@6.11.0 sha512-cXM= → ',
      // By purl: `react-dom@` sorts before `react@`.
      'react-dom@18.2.0 sha512-cmQ= → pkg:npm/react@18.2.0',
      'react@18.2.0 sha512-cmVhY3Q= → ',
    ]);
    expect(r.direct.get('web')).toEqual(['pkg:npm/express@4.18.0']);
    expect(r.direct.get('lib')).toEqual(['pkg:npm/react-dom@18.2.0']);
  });

  it('yarn (Berry): workspaces resolve through their own entries', () => {
    const r = runtimePackages(lock('yarn.lock', berry), [project('web', 'services/web', ['express'])]);
    expect(listed(r)).toEqual(['express@4.18.2 10c0/abcd → pkg:npm/qs@6.11.2', 'qs@6.11.2 10c0/ef01 → ']);
  });

  it('gives nothing without a lockfile', () => {
    expect(runtimePackages(undefined, [project('web', 'services/web', ['express'])]).packages.size).toBe(0);
  });
});

describe('cycloneDx', () => {
  const input = () => ({
    project: '@shop/web',
    version: '1.2.0',
    imageDigest: `sha256:${'ab'.repeat(32)}`,
    created: 1_700_000_000,
    kilnVersion: '0.1.0',
    projects: [project('@shop/web', 'services/web', ['express'], ['lib']), project('lib', 'libs/lib', [])],
    packages: runtimePackages(lock('pnpm-lock.yaml', pnpm9), [project('@shop/web', 'services/web', ['express'])]),
    files: [{ path: 'app/index.js', sha256: 'cd'.repeat(32) }],
  });

  it('is the same bytes for the same inputs, with a serial number derived from the image', () => {
    expect(canonicalBytes(cycloneDx(input()))).toEqual(canonicalBytes(cycloneDx(input())));
    expect(cycloneDx(input()).serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lists workspace projects, packages with their integrity as hashes, and files; the image is the subject', () => {
    const doc = cycloneDx(input()) as {
      metadata: { component: Record<string, unknown> };
      components: Record<string, unknown>[];
      dependencies: { ref: string; dependsOn: string[] }[];
    };
    expect(doc.metadata.component).toMatchObject({ type: 'container', name: '@shop/web', version: '1.2.0', hashes: [{ alg: 'SHA-256', content: 'ab'.repeat(32) }] });
    expect(doc.components.map((c) => `${c.type} ${c.name}${c.version ? `@${c.version}` : ''}`)).toEqual([
      'library lib@1.0.0',
      'library express@4.18.0',
      'library qs@6.11.0',
      'file app/index.js',
    ]);
    expect(doc.components[1]).toMatchObject({ purl: 'pkg:npm/express@4.18.0', hashes: [{ alg: 'SHA-512', content: '657870' }] });
    expect(doc.dependencies[0]!.dependsOn).toEqual(['kiln:project/lib', 'pkg:npm/express@4.18.0', 'file:app/index.js']);
  });
});

describe('purls and hashes', () => {
  it('writes npm purls as the purl spec does', () => {
    expect(npmPurl('@scope/name', '1.0.0-rc.1')).toBe('pkg:npm/%40scope/name@1.0.0-rc.1');
  });
  it('reads subresource integrity, and nothing else, as hashes', () => {
    expect(integrityHashes('sha512-AAEC sha1-/w==')).toEqual([
      { alg: 'SHA-512', content: '000102' },
      { alg: 'SHA-1', content: 'ff' },
    ]);
    expect(integrityHashes('10c0/abcd')).toEqual([]);
    expect(integrityHashes(undefined)).toEqual([]);
  });
});
