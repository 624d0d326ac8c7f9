import { describe, expect, it } from 'vitest';
import { diffLockfiles, lockfileImpact, parseLockfile, resolveFrom, type Consumer, type Lockfile } from './index.js';

function npm(packages: Record<string, object>): Lockfile {
  const r = parseLockfile('package-lock.json', JSON.stringify({ lockfileVersion: 3, packages }));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}
function pnpm(text: string): Lockfile {
  const r = parseLockfile('pnpm-lock.yaml', text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const baseNpm = {
  '': { name: 'root', workspaces: ['packages/*'], devDependencies: { typescript: '^5' } },
  'packages/web': { name: 'web', dependencies: { express: '^4', '@org/lib': '*' } },
  'packages/lib': { name: '@org/lib', dependencies: { lodash: '^4' } },
  'packages/cli': { name: 'cli', dependencies: { chalk: '^5' } },
  'node_modules/@org/lib': { resolved: 'packages/lib', link: true },
  'node_modules/typescript': { version: '5.0.0', integrity: 'sha-ts' },
  'node_modules/express': { version: '4.18.0', integrity: 'sha-ex', dependencies: { qs: '^6' } },
  'node_modules/qs': { version: '6.11.0', integrity: 'sha-qs0' },
  'node_modules/lodash': { version: '4.17.20', integrity: 'sha-lo0' },
  'node_modules/chalk': { version: '5.0.0', integrity: 'sha-ch' },
  'packages/cli/node_modules/qs': { version: '5.0.0', integrity: 'sha-qs5' },
};

const consumers = new Map<string, Consumer>([
  ['root', { dir: '', names: ['typescript'] }],
  ['web', { dir: 'packages/web', names: ['express', '@org/lib'] }],
  ['lib', { dir: 'packages/lib', names: ['lodash'] }],
  ['cli', { dir: 'packages/cli', names: ['chalk', 'qs'] }],
]);

describe('npm package-lock.json', () => {
  it('reads importers, links and instances, and resolves the way node does', () => {
    const lock = npm(baseNpm);
    expect([...lock.importers.keys()].sort()).toEqual(['', 'packages/cli', 'packages/lib', 'packages/web']);
    expect(lock.importers.get('packages/web')).toEqual(['@org/lib', 'express']);
    expect(resolveFrom(lock, 'packages/cli', 'qs')).toBe('packages/cli/node_modules/qs');
    expect(resolveFrom(lock, 'packages/web', 'qs')).toBe('node_modules/qs');
    expect(resolveFrom(lock, 'packages/web', '@org/lib')).toBeUndefined();
    expect(lock.packages.get('node_modules/express')).toMatchObject({ name: 'express', version: '4.18.0', dependencies: ['qs'] });
  });

  it('a transitive bump affects only the projects that reach it, with the chain', () => {
    const after = npm({ ...baseNpm, 'node_modules/qs': { version: '6.11.1', integrity: 'sha-qs1' } });
    const diff = diffLockfiles(npm(baseNpm), after);
    expect(diff.changed).toEqual([{ name: 'qs', before: ['5.0.0', '6.11.0'], after: ['5.0.0', '6.11.1'] }]);
    const hits = lockfileImpact(diff, consumers);
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')).toEqual([{ package: 'qs', via: ['express'], before: ['5.0.0', '6.11.0'], after: ['5.0.0', '6.11.1'] }]);
  });

  it('an integrity change alone is a change; a hoisting move is not', () => {
    const integrity = npm({ ...baseNpm, 'node_modules/lodash': { version: '4.17.20', integrity: 'sha-other' } });
    const hits = lockfileImpact(diffLockfiles(npm(baseNpm), integrity), consumers);
    expect([...hits.keys()]).toEqual(['lib']);
    // The versions alone would read "4.17.20 → 4.17.20": the hit says what changed.
    expect(hits.get('lib')).toEqual([{ package: 'lodash', via: [], before: ['4.17.20'], after: ['4.17.20'], detail: 'same version, another integrity or source' }]);
    const { 'node_modules/chalk': chalk, ...rest } = baseNpm;
    const moved = npm({ ...rest, 'packages/cli/node_modules/chalk': chalk });
    const diff = diffLockfiles(npm(baseNpm), moved);
    expect(diff.changed).toEqual([]);
    expect(lockfileImpact(diff, consumers).size).toBe(0);
  });

  it('a dependency re-resolved to another existing version changes its dependents', () => {
    // express now resolves qs@5 (nested copy), while qs@6.11.0 stays for others: express's identity changed.
    const after = npm({ ...baseNpm, 'node_modules/express/node_modules/qs': { version: '5.0.0', integrity: 'sha-qs5' } });
    const hits = lockfileImpact(diffLockfiles(npm(baseNpm), after), consumers);
    expect([...hits.keys()]).toEqual(['web']);
    // The reason names the package whose resolution changed (qs, express's own dependency), not express at the same version.
    expect(hits.get('web')).toEqual([{ package: 'qs', via: ['express'], before: ['6.11.0'], after: ['5.0.0'] }]);
  });

  it('refuses lockfile v1 with a diagnostic', () => {
    const r = parseLockfile('package-lock.json', JSON.stringify({ lockfileVersion: 1, dependencies: {} }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('lockfile-unsupported');
  });
});

const pnpm9 = (qs: string) => `lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      typescript:
        specifier: ^5
        version: 5.0.0
  packages/web:
    dependencies:
      express:
        specifier: ^4
        version: 4.18.0
      '@org/lib':
        specifier: workspace:*
        version: link:../lib
  packages/lib:
    dependencies:
      react-dom:
        specifier: ^18
        version: 18.2.0(react@18.2.0)
packages:
  typescript@5.0.0:
    resolution: {integrity: sha-ts}
  express@4.18.0:
    resolution: {integrity: sha-ex}
  qs@${qs}:
    resolution: {integrity: sha-qs-${qs}}
  react@18.2.0:
    resolution: {integrity: sha-react}
  react-dom@18.2.0:
    resolution: {integrity: sha-rd}
snapshots:
  typescript@5.0.0: {}
  express@4.18.0:
    dependencies:
      qs: ${qs}
  qs@${qs}: {}
  react@18.2.0: {}
  react-dom@18.2.0(react@18.2.0):
    dependencies:
      react: 18.2.0
`;

const pnpm6 = (react: string) => `lockfileVersion: '6.0'
importers:
  .:
    dependencies:
      react-dom:
        specifier: ^18
        version: 18.2.0(react@${react})
packages:
  /react@${react}:
    resolution: {integrity: sha-react-${react}}
    dev: false
  /react-dom@18.2.0(react@${react}):
    resolution: {integrity: sha-rd}
    peerDependencies:
      react: ^18
    dependencies:
      react: ${react}
    dev: false
`;

describe('pnpm-lock.yaml', () => {
  it('v9: reads importers, snapshots with peers, and links', () => {
    const lock = pnpm(pnpm9('6.11.0'));
    expect(resolveFrom(lock, 'packages/web', 'express')).toBe('express@4.18.0');
    expect(resolveFrom(lock, 'packages/web', '@org/lib')).toBeUndefined();
    expect(resolveFrom(lock, 'packages/lib', 'react-dom')).toBe('react-dom@18.2.0(react@18.2.0)');
    expect(lock.packages.get('react-dom@18.2.0(react@18.2.0)')).toMatchObject({ name: 'react-dom', version: '18.2.0', integrity: 'sha-rd' });
    // A project without its own importer resolves from the nearest one above it (the root).
    expect(resolveFrom(lock, 'tools/x', 'typescript')).toBe('typescript@5.0.0');
  });

  it('v9: a transitive bump reaches only its consumers', () => {
    const pnpmConsumers = new Map<string, Consumer>([
      ['web', { dir: 'packages/web', names: ['express', '@org/lib'] }],
      ['lib', { dir: 'packages/lib', names: ['react-dom'] }],
    ]);
    const hits = lockfileImpact(diffLockfiles(pnpm(pnpm9('6.11.0')), pnpm(pnpm9('6.11.1'))), pnpmConsumers);
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')![0]).toMatchObject({ package: 'qs', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] });
  });

  it('v6: a peer bump changes the package that depends on it', () => {
    const diff = diffLockfiles(pnpm(pnpm6('18.2.0')), pnpm(pnpm6('18.3.0')));
    expect(diff.changed.map((c) => c.name)).toEqual(['react']);
    const hits = lockfileImpact(diff, new Map([['app', { dir: '', names: ['react-dom'] }]]));
    expect(hits.get('app')).toEqual([{ package: 'react', via: ['react-dom'], before: ['18.2.0'], after: ['18.3.0'] }]);
  });
});

const yarnClassic = (qs: string) => `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@scope/express@^4.18.0", "@scope/express@^4.0.0":
  version "4.18.2"
  resolved "https://registry.yarnpkg.com/@scope/express/-/express-4.18.2.tgz#abc"
  integrity sha512-express
  dependencies:
    qs "^6.11.0"

lodash@^4.17.0:
  version "4.17.21"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.21.tgz#def"
  integrity sha512-lodash

qs@^6.11.0:
  version "${qs}"
  resolved "https://registry.yarnpkg.com/qs/-/qs-${qs}.tgz#x"
  integrity sha512-qs-${qs}
`;

const yarnBerry = (qs: string) => `__metadata:
  version: 8
  cacheKey: 10

"express@npm:^4.18.0":
  version: 4.18.2
  resolution: "express@npm:4.18.2"
  dependencies:
    qs: "npm:^6.11.0"
  checksum: 10/express
  languageName: node
  linkType: hard

"lodash@npm:^4.17.0":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  checksum: 10/lodash
  languageName: node
  linkType: hard

"qs@npm:^6.11.0":
  version: ${qs}
  resolution: "qs@npm:${qs}"
  checksum: 10/qs-${qs}
  languageName: node
  linkType: hard

"web@workspace:packages/web":
  version: 0.0.0-use.local
  resolution: "web@workspace:packages/web"
  dependencies:
    express: "npm:^4.18.0"
    lib: "workspace:*"
  languageName: unknown
  linkType: soft

"lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "lib@workspace:packages/lib"
  dependencies:
    lodash: "npm:^4.17.0"
  languageName: unknown
  linkType: soft
`;

describe('yarn.lock', () => {
  const parse = (text: string): Lockfile => {
    const r = parseLockfile('yarn.lock', text);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  it('classic: entries by descriptor, edges by range, consumers by name', () => {
    const lock = parse(yarnClassic('6.11.0'));
    expect(lock.packages.get('@scope/express@4.18.2')).toMatchObject({ name: '@scope/express', version: '4.18.2', integrity: 'sha512-express', dependencies: ['qs'] });
    const hits = lockfileImpact(
      diffLockfiles(lock, parse(yarnClassic('6.11.1'))),
      new Map<string, Consumer>([
        ['web', { dir: 'packages/web', names: ['@scope/express'] }],
        ['lib', { dir: 'packages/lib', names: ['lodash'] }],
      ]),
    );
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')![0]).toMatchObject({ package: 'qs', via: ['@scope/express'], before: ['6.11.0'], after: ['6.11.1'] });
  });

  it('berry: workspaces are importers, workspace links are not packages', () => {
    const lock = parse(yarnBerry('6.11.0'));
    expect([...lock.importers.keys()].sort()).toEqual(['packages/lib', 'packages/web']);
    expect(resolveFrom(lock, 'packages/web', 'express')).toBe('express@npm:4.18.2');
    expect(resolveFrom(lock, 'packages/web', 'lib')).toBeUndefined();
    const hits = lockfileImpact(
      diffLockfiles(lock, parse(yarnBerry('6.12.0'))),
      new Map<string, Consumer>([
        ['web', { dir: 'packages/web', names: ['express', 'lib'] }],
        ['lib', { dir: 'packages/lib', names: ['lodash'] }],
      ]),
    );
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')![0]).toMatchObject({ package: 'qs', via: ['express'] });
  });

  it('rejects what it cannot read', () => {
    expect(parseLockfile('yarn.lock', 'not a lockfile').ok).toBe(false);
  });
});
