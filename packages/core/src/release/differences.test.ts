import { zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { describeDifference, fileDifferences, layerDifferences } from './differences.js';
import { gzipDeterministic } from './oci.js';
import { writeTar, type TarEntry } from './tar.js';
import { readZip } from './zip.js';

const layer = (entries: TarEntry[], mtime = 1_700_000_000) => gzipDeterministic(writeTar(entries, mtime));
const file = (path: string, text: string): TarEntry => ({ type: 'file', path, data: strToU8(text) });
const zip = (files: Record<string, [string, Date]>, prefix = '') => {
  const body = zipSync(Object.fromEntries(Object.entries(files).map(([n, [t, d]]) => [n, [strToU8(t), { mtime: d, level: 0 }]])));
  const out = new Uint8Array(prefix.length + body.length);
  out.set(strToU8(prefix));
  out.set(body, prefix.length);
  return out;
};

describe('readZip', () => {
  it('reads entries, their dates and contents, also behind a #! line', () => {
    const entries = readZip(zip({ 'a.py': ['print(1)\n', new Date(2024, 0, 2, 3, 4, 6)] }, '#!/usr/bin/env python3\n'))!;
    expect(entries.map((e) => [e.name, e.time, new TextDecoder().decode(e.data)])).toEqual([['a.py', '2024-01-02 03:04:06', 'print(1)\n']]);
  });
  it('gives undefined for bytes that are not a zip', () => {
    expect(readZip(strToU8('PK but not really'))).toBeUndefined();
  });
});

describe('layerDifferences', () => {
  it('finds nothing in two equal layers', () => {
    expect(layerDifferences(layer([file('app/a', 'x')]), layer([file('app/a', 'x')]))).toEqual([]);
  });

  it('names a file whose contents differ, with the first differing bytes', () => {
    const d = layerDifferences(layer([file('app/built.txt', 'built at 2024-01-01T10:00:00Z\n')]), layer([file('app/built.txt', 'built at 2024-01-01T10:00:07Z\n')]));
    expect(d).toEqual([{ path: 'app/built.txt', kind: 'content', offset: 27, first: '"0Z\\n"', second: '"7Z\\n"' }]);
    expect(describeDifference(d[0]!)).toBe('app/built.txt: first difference at byte 27: "0Z\\n" ≠ "7Z\\n"');
  });

  it('names files only in one build, and binary bytes in hex', () => {
    const a = layer([file('app/a', 'x'), { type: 'file', path: 'app/b.bin', data: new Uint8Array([0, 1, 2]) }]);
    const b = layer([{ type: 'file', path: 'app/b.bin', data: new Uint8Array([0, 1, 3]) }, file('app/c', 'y')]);
    expect(layerDifferences(a, b)).toEqual([
      { path: 'app/a', kind: 'only-in-first' },
      { path: 'app/b.bin', kind: 'content', offset: 2, first: '02', second: '03' },
      { path: 'app/c', kind: 'only-in-second' },
    ]);
  });

  it('looks inside a zip: member times, list order and contents', () => {
    const t1 = new Date(2024, 0, 1, 10, 0, 0);
    const t2 = new Date(2024, 0, 1, 10, 0, 2);
    const a = zip({ 'user/a.py': ['A', t1], 'user/b.py': ['B', t1] }, '#!/usr/bin/env python3\n');
    const b = zip({ 'user/b.py': ['b', t1], 'user/a.py': ['A', t2] }, '#!/usr/bin/env python3\n');
    const d = fileDifferences('app/user.pyz', a, b);
    expect(d).toEqual([
      { path: 'app/user.pyz', member: '', kind: 'order', first: 'user/a.py, user/b.py', second: 'user/b.py, user/a.py' },
      { path: 'app/user.pyz', member: 'user/a.py', kind: 'time', first: '2024-01-01 10:00:00', second: '2024-01-01 10:00:02' },
      { path: 'app/user.pyz', member: 'user/b.py', kind: 'content', offset: 0, first: '"B"', second: '"b"' },
    ]);
    expect(d.map(describeDifference)[1]).toBe('app/user.pyz: member user/a.py: time 2024-01-01 10:00:00 ≠ 2024-01-01 10:00:02');
  });

  it('looks inside a nested tarball: member times', () => {
    const inner = (mtime: number) => gzipDeterministic(writeTar([file('x.txt', 'same')], mtime));
    const d = layerDifferences(layer([{ type: 'file', path: 'app/bundle.tgz', data: inner(1_000) }]), layer([{ type: 'file', path: 'app/bundle.tgz', data: inner(2_000) }]));
    expect(d).toEqual([{ path: 'app/bundle.tgz', member: 'x.txt', kind: 'time', first: '1970-01-01T00:16:40Z', second: '1970-01-01T00:33:20Z' }]);
  });
});
