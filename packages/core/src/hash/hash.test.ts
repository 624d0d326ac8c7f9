import { describe, expect, it } from 'vitest';
import { canonicalJson, gitBlobId } from '../model/index.js';
import { buildFingerprint, diffFingerprints, fingerprintDigest, type FingerprintInputs } from './index.js';

const base: FingerprintInputs = {
  task: 'app:build',
  root: 'apps/app',
  target: { executor: 'nx:run-script', options: { script: 'build' }, outputs: ['{projectRoot}/dist'] },
  files: ['apps/app/src/b.ts', 'apps/app/src/a.ts'],
  digestOf: (f) => ({ 'apps/app/src/a.ts': 'aaa', 'apps/app/src/b.ts': 'bbb' })[f],
  dependencies: { 'lib:build': 'h1' },
  envNames: ['NODE_ENV'],
  env: { NODE_ENV: 'production' },
  runtime: {},
  external: { react: '18.2.0' },
};

describe('fingerprint', () => {
  it('serialises canonically whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same hash for the same inputs, in any order', () => {
    const a = fingerprintDigest(buildFingerprint(base));
    const b = fingerprintDigest(
      buildFingerprint({ ...base, files: [...base.files].reverse(), target: { outputs: ['{projectRoot}/dist'], options: { script: 'build' }, executor: 'nx:run-script' } }),
    );
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes the hash when any input changes', () => {
    const h = fingerprintDigest(buildFingerprint(base));
    const variants: Partial<FingerprintInputs>[] = [
      { digestOf: (f) => (f.endsWith('a.ts') ? 'AAA' : 'bbb') },
      { dependencies: { 'lib:build': 'h2' } },
      { env: { NODE_ENV: 'development' } },
      { external: { react: '18.3.0' } },
      { target: { ...base.target, options: { script: 'build:prod' } } },
      { runtime: { 'node -v': 'x' } },
    ];
    for (const v of variants) expect(fingerprintDigest(buildFingerprint({ ...base, ...v }))).not.toBe(h);
  });

  it('never stores an env value, only its digest', () => {
    const f = buildFingerprint({ ...base, env: { NODE_ENV: 'secret-token' } });
    expect(JSON.stringify(f)).not.toContain('secret-token');
  });

  it('computes git blob ids', () => {
    // `echo hello | git hash-object --stdin`
    expect(gitBlobId(new TextEncoder().encode('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('explains exactly what differs', () => {
    const prev = buildFingerprint(base);
    const cur = buildFingerprint({
      ...base,
      files: ['apps/app/src/a.ts', 'apps/app/src/c.ts'],
      digestOf: (f) => ({ 'apps/app/src/a.ts': 'AAA', 'apps/app/src/c.ts': 'ccc' })[f],
      dependencies: { 'lib:build': 'h2' },
      env: { NODE_ENV: 'development' },
      target: { ...base.target, options: { script: 'build', watch: true } },
    });
    expect(diffFingerprints(prev, cur)).toEqual([
      { kind: 'target', field: 'options.watch', current: true },
      { kind: 'file', path: 'apps/app/src/a.ts', change: 'changed' },
      { kind: 'file', path: 'apps/app/src/b.ts', change: 'removed' },
      { kind: 'file', path: 'apps/app/src/c.ts', change: 'added' },
      { kind: 'dependency', task: 'lib:build', change: 'changed', previous: 'h1', current: 'h2' },
      { kind: 'env', name: 'NODE_ENV', change: 'changed' },
    ]);
    expect(diffFingerprints(prev, prev)).toEqual([]);
  });
});
