import { describe, expect, it } from 'vitest';
import { diffLockfiles, lockfileImpact, parseLockfile, resolveFrom, type Consumer, type Lockfile } from './index.js';

function parse(file: string, text: string): Lockfile {
  const r = parseLockfile(file, text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

// pnpm 11's two documents: the env lockfile (pnpm itself), then the project lockfile, which is always last.
const pnpm11 = (opts: { pnpm: string; qs: string; reactDomPeer?: string }) => `---
lockfileVersion: '9.0'

importers:

  .:
    configDependencies: {}
    packageManagerDependencies:
      pnpm:
        specifier: ${opts.pnpm}
        version: ${opts.pnpm}

packages:

  pnpm@${opts.pnpm}:
    resolution: {integrity: sha512-pnpm-${opts.pnpm}}
    hasBin: true

snapshots:

  pnpm@${opts.pnpm}: {}

---
lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    devDependencies:
      typescript:
        specifier: ^5.4.0
        version: 5.4.5

  apps/web:
    dependencies:
      '@acme/ui':
        specifier: workspace:*
        version: link:../../libs/ui
      express:
        specifier: ^4.18.0
        version: 4.18.2
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@${opts.reactDomPeer ?? '18.2.0'})

  apps/admin:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.3.1)

  libs/ui:
    dependencies:
      lodash:
        specifier: ^4.17.21
        version: 4.17.21

packages:

  express@4.18.2:
    resolution: {integrity: sha512-express}
    engines: {node: '>= 0.10.0'}

  lodash@4.17.21:
    resolution: {integrity: sha512-lodash}

  qs@${opts.qs}:
    resolution: {integrity: sha512-qs-${opts.qs}}

  react-dom@18.2.0:
    resolution: {integrity: sha512-react-dom}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-react-18.2.0}

  react@18.3.1:
    resolution: {integrity: sha512-react-18.3.1}

  typescript@5.4.5:
    resolution: {integrity: sha512-ts}
    hasBin: true

snapshots:

  express@4.18.2:
    dependencies:
      qs: ${opts.qs}

  lodash@4.17.21: {}

  qs@${opts.qs}: {}

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      react: 18.2.0

  react-dom@18.2.0(react@18.3.1):
    dependencies:
      react: 18.3.1

  react@18.2.0: {}

  react@18.3.1: {}

  typescript@5.4.5: {}
`;

const pnpmConsumers = new Map<string, Consumer>([
  ['root', { dir: '', names: ['typescript'] }],
  ['web', { dir: 'apps/web', names: ['@acme/ui', 'express', 'react-dom'] }],
  ['admin', { dir: 'apps/admin', names: ['react-dom'] }],
  ['ui', { dir: 'libs/ui', names: ['lodash'] }],
]);

describe('pnpm 11: two YAML documents', () => {
  const base = { pnpm: '11.0.3', qs: '6.11.0' };

  it('reads the project lockfile (the last document), not the env lockfile', () => {
    const lock = parse('pnpm-lock.yaml', pnpm11(base));
    expect([...lock.importers.keys()].sort()).toEqual(['', 'apps/admin', 'apps/web', 'libs/ui']);
    expect(resolveFrom(lock, 'apps/web', 'express')).toBe('express@4.18.2');
    expect(resolveFrom(lock, 'apps/web', '@acme/ui')).toBeUndefined();
    expect(lock.packages.has('pnpm@11.0.3')).toBe(false);
    expect(lock.packages.get('react-dom@18.2.0(react@18.3.1)')).toMatchObject({ name: 'react-dom', version: '18.2.0', peers: '(react@18.3.1)' });
  });

  it('a transitive bump affects exactly the importers reaching it, naming it', () => {
    const hits = lockfileImpact(diffLockfiles(parse('pnpm-lock.yaml', pnpm11(base)), parse('pnpm-lock.yaml', pnpm11({ ...base, qs: '6.11.1' }))), pnpmConsumers);
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')).toEqual([{ package: 'qs', via: ['express'], before: ['6.11.0'], after: ['6.11.1'] }]);
  });

  it('a pnpm upgrade (the env document only) affects no project', () => {
    const diff = diffLockfiles(parse('pnpm-lock.yaml', pnpm11(base)), parse('pnpm-lock.yaml', pnpm11({ ...base, pnpm: '11.1.0' })));
    expect(diff.changed).toEqual([]);
    expect(lockfileImpact(diff, pnpmConsumers).size).toBe(0);
  });

  it('peer variants are distinct instances: moving to another existing variant affects that importer, naming the peer', () => {
    // web moves from react-dom(react@18.2.0) to the react-dom(react@18.3.1) admin already uses; both react versions stay.
    const after = pnpm11({ ...base, reactDomPeer: '18.3.1' });
    const hits = lockfileImpact(diffLockfiles(parse('pnpm-lock.yaml', pnpm11(base)), parse('pnpm-lock.yaml', after)), pnpmConsumers);
    expect([...hits.keys()]).toEqual(['web']);
    expect(hits.get('web')).toEqual([{ package: 'react', via: ['react-dom'], before: ['18.2.0'], after: ['18.3.1'] }]);
  });

  it('an unreadable second document is located: file, line and column, in kiln words', () => {
    const broken = pnpm11(base).replace('  qs@6.11.0: {}', '  qs@6.11.0: {\n  oops');
    const r = parseLockfile('pnpm-lock.yaml', broken);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('lockfile-invalid');
    expect(r.error.location?.file).toBe('pnpm-lock.yaml');
    // The error is in the second document, after the first's lines.
    expect(r.error.location?.line).toBeGreaterThan(broken.split('\n').indexOf('---', 1) + 1);
    expect(r.error.message).toMatch(/^pnpm-lock\.yaml cannot be read: not valid YAML \(/);
    expect(r.error.hint).toMatch(/every project as affected/);
  });
});

describe('yarn berry', () => {
  const berry = (debug: string) => `# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"debug@npm:4.3.4, debug@npm:^4.3.4":
  version: 4.3.4
  resolution: "debug@npm:4.3.4"
  dependencies:
    ms: "npm:2.1.2"
  peerDependenciesMeta:
    supports-color:
      optional: true
  checksum: 10c0/debug
  languageName: node
  linkType: hard

"ms@npm:2.1.2":
  version: 2.1.2
  resolution: "ms@npm:2.1.2"
  checksum: 10c0/ms-2.1.2
  languageName: node
  linkType: hard

"ms@npm:2.1.3, ms@npm:^2.1.1":
  version: 2.1.3
  resolution: "ms@npm:2.1.3"
  checksum: 10c0/ms-2.1.3
  languageName: node
  linkType: hard

"api@workspace:apps/api":
  version: 0.0.0-use.local
  resolution: "api@workspace:apps/api"
  dependencies:
    debug: "npm:${debug}"
    shared: "workspace:^"
  languageName: unknown
  linkType: soft

"monorepo@workspace:.":
  version: 0.0.0-use.local
  resolution: "monorepo@workspace:."
  dependencies:
    ms: "npm:^2.1.1"
  languageName: unknown
  linkType: soft

"shared@workspace:^, shared@workspace:libs/shared":
  version: 0.0.0-use.local
  resolution: "shared@workspace:libs/shared"
  languageName: unknown
  linkType: soft
`;
  it('resolution, checksum and workspaces; a changed dependency of a dependency is named', () => {
    const before = parse('yarn.lock', berry('4.3.4'));
    expect([...before.importers.keys()].sort()).toEqual(['', 'apps/api', 'libs/shared']);
    expect(resolveFrom(before, 'apps/api', 'debug')).toBe('debug@npm:4.3.4');
    expect(before.packages.get('ms@npm:2.1.2')).toMatchObject({ version: '2.1.2', integrity: '10c0/ms-2.1.2' });
    // debug's own dependency now resolves to the ms the root already had: debug is the same, ms is what changed.
    const after = parse('yarn.lock', berry('4.3.4').replace('    ms: "npm:2.1.2"', '    ms: "npm:^2.1.1"'));
    const hits = lockfileImpact(
      diffLockfiles(before, after),
      new Map<string, Consumer>([
        ['api', { dir: 'apps/api', names: ['debug', 'shared'] }],
        ['root', { dir: '', names: ['ms'] }],
        ['shared', { dir: 'libs/shared', names: [] }],
      ]),
    );
    expect([...hits.keys()]).toEqual(['api']);
    expect(hits.get('api')).toEqual([{ package: 'ms', via: ['debug'], before: ['2.1.2'], after: ['2.1.3'] }]);
  });

  it('an unreadable Berry lockfile names its line', () => {
    const r = parseLockfile('yarn.lock', berry('4.3.4').replace('  version: 2.1.2\n', '  version: [2.1.2\n'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.location).toMatchObject({ file: 'yarn.lock', line: expect.any(Number) as number });
  });

  it('an unreadable classic lockfile names its line', () => {
    const r = parseLockfile('yarn.lock', '# yarn lockfile v1\n\n\nlodash@^4:\n  version "4.17.21"\nnot an entry\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'lockfile-invalid', location: { file: 'yarn.lock', line: 6 } });
  });
});

describe('bun.lock', () => {
  const bun = (zod: string, webQs = '6.13.0') => `{
  "lockfileVersion": 1,
  "workspaces": {
    "": {
      "name": "monorepo",
      "devDependencies": {
        "typescript": "^5.4.0",
      },
    },
    "apps/web": {
      "name": "web",
      "dependencies": {
        "@acme/ui": "workspace:*",
        "express": "^4.18.0",
        "qs": "^6.13.0",
      },
    },
    "libs/ui": {
      "name": "@acme/ui",
      "dependencies": {
        "zod": "^3.22.0",
      },
    },
  },
  "packages": {
    "@acme/ui": ["@acme/ui@workspace:libs/ui"],

    "express": ["express@4.18.2", "", { "dependencies": { "qs": "6.11.0" } }, "sha512-express"],

    "qs": ["qs@6.11.0", "", {}, "sha512-qs-6.11.0"],

    "typescript": ["typescript@5.4.5", "", { "bin": { "tsc": "bin/tsc" } }, "sha512-ts"],

    "web/qs": ["qs@${webQs}", "", {}, "sha512-qs-${webQs}"],

    "zod": ["zod@${zod}", "", {}, "sha512-zod-${zod}"],
  }
}
`;
  const consumers = new Map<string, Consumer>([
    ['root', { dir: '', names: ['typescript'] }],
    ['web', { dir: 'apps/web', names: ['@acme/ui', 'express', 'qs'] }],
    ['ui', { dir: 'libs/ui', names: ['zod'] }],
  ]);

  it('reads workspaces, tuples and nested keys, resolving as bun installs', () => {
    const lock = parse('bun.lock', bun('3.22.4'));
    expect(lock.kind).toBe('bun');
    expect([...lock.importers.keys()].sort()).toEqual(['', 'apps/web', 'libs/ui']);
    expect(resolveFrom(lock, 'apps/web', 'qs')).toBe('web/qs');
    expect(resolveFrom(lock, 'apps/web', 'express')).toBe('express');
    expect(resolveFrom(lock, 'apps/web', '@acme/ui')).toBeUndefined();
    expect(lock.packages.get('express')).toMatchObject({ name: 'express', version: '4.18.2', integrity: 'sha512-express', dependencies: ['qs'] });
    expect(lock.packages.has('@acme/ui')).toBe(false);
  });

  it('a bump affects exactly its consumers; a workspace-only copy does not reach express', () => {
    const zod = lockfileImpact(diffLockfiles(parse('bun.lock', bun('3.22.4')), parse('bun.lock', bun('3.23.0'))), consumers);
    expect([...zod.keys()]).toEqual(['ui']);
    expect(zod.get('ui')).toEqual([{ package: 'zod', via: [], before: ['3.22.4'], after: ['3.23.0'] }]);
    const webQs = lockfileImpact(diffLockfiles(parse('bun.lock', bun('3.22.4')), parse('bun.lock', bun('3.22.4', '6.13.1'))), consumers);
    expect([...webQs.keys()]).toEqual(['web']);
    expect(webQs.get('web')).toEqual([{ package: 'qs', via: [], before: ['6.11.0', '6.13.0'], after: ['6.11.0', '6.13.1'] }]);
  });

  it('an unreadable bun.lock names its line and column', () => {
    const text = bun('3.22.4').replace('"zod": ["zod@', '"zod": [zod@');
    const r = parseLockfile('bun.lock', text);
    expect(r.ok).toBe(false);
    const line = text.split('\n').findIndex((l) => l.includes('[zod@')) + 1;
    if (!r.ok) expect(r.error).toMatchObject({ code: 'lockfile-invalid', location: { file: 'bun.lock', line, column: 13 } });
  });
});

describe('npm lockfileVersion 3', () => {
  const npm = (nestedDebug: string) =>
    JSON.stringify({
      name: 'monorepo',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'monorepo', workspaces: ['packages/*'] },
        'packages/api': { name: 'api', version: '1.0.0', dependencies: { express: '^4.18.0', debug: '^2.6.0' } },
        'packages/cli': { name: 'cli', version: '1.0.0', dependencies: { debug: '^4.3.0' } },
        'node_modules/api': { resolved: 'packages/api', link: true },
        'node_modules/cli': { resolved: 'packages/cli', link: true },
        'node_modules/debug': { version: '4.3.4', resolved: 'https://registry.npmjs.org/debug/-/debug-4.3.4.tgz', integrity: 'sha512-debug4', dependencies: { ms: '2.1.2' } },
        'node_modules/ms': { version: '2.1.2', integrity: 'sha512-ms212' },
        'node_modules/express': { version: '4.18.2', integrity: 'sha512-express', dependencies: { debug: '2.6.9' } },
        'node_modules/express/node_modules/debug': { version: '2.6.9', integrity: 'sha512-debug2', dependencies: { ms: '2.0.0' } },
        'node_modules/express/node_modules/ms': { version: '2.0.0', integrity: 'sha512-ms200' },
        'packages/api/node_modules/debug': { version: nestedDebug, integrity: `sha512-debug-${nestedDebug}`, dependencies: { ms: '2.0.0' } },
        'packages/api/node_modules/ms': { version: '2.0.0', integrity: 'sha512-ms200' },
      },
    });

  it('packages only, nested node_modules paths: a copy nested under one workspace affects only it', () => {
    const before = parse('package-lock.json', npm('2.6.9'));
    expect(resolveFrom(before, 'packages/api', 'debug')).toBe('packages/api/node_modules/debug');
    expect(resolveFrom(before, 'packages/cli', 'debug')).toBe('node_modules/debug');
    expect(resolveFrom(before, 'node_modules/express', 'ms')).toBe('node_modules/express/node_modules/ms');
    const hits = lockfileImpact(
      diffLockfiles(before, parse('package-lock.json', npm('2.6.8'))),
      new Map<string, Consumer>([
        ['api', { dir: 'packages/api', names: ['express', 'debug'] }],
        ['cli', { dir: 'packages/cli', names: ['debug'] }],
      ]),
    );
    expect([...hits.keys()]).toEqual(['api']);
    expect(hits.get('api')).toEqual([{ package: 'debug', via: [], before: ['2.6.9', '4.3.4'], after: ['2.6.8', '2.6.9', '4.3.4'] }]);
  });

  it('an unreadable package-lock.json names its line and column', () => {
    const r = parseLockfile('package-lock.json', '{\n  "lockfileVersion": 3,\n  "packages": {\n    "": {}\n    "x": {}\n  }\n}\n');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'lockfile-invalid', location: { file: 'package-lock.json', line: 5 } });
  });
});
