import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitBlobId, sha256 } from '../model/index.js';
import { formatMeta, PACKED_LAYOUT, parseMeta, type EntryMeta } from './entry.js';
import { entryPath, LocalCache, storedCopyPath } from './index.js';

let base: string;
let sender: LocalCache;
let receiver: LocalCache;
const hash = sha256('task');
beforeEach(async () => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'kiln-transfer-')));
  for (const ws of ['a', 'b']) mkdirSync(join(base, ws));
  sender = new LocalCache(join(base, 'a'), join(base, 'a/.kiln/cache'));
  // The calling thread: a worker runs the build's JavaScript (restore workers are tested end to end, test/remote-restore-workers.test.ts).
  receiver = new LocalCache(join(base, 'b'), join(base, 'b/.kiln/cache'), { restoreThreads: 0 });
  mkdirSync(join(base, 'a/p/dist'), { recursive: true });
  writeFileSync(join(base, 'a/p/dist/x.txt'), 'hello\n');
  writeFileSync(join(base, 'a/p/dist/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  const log = Buffer.from('line\n'.repeat(20000)); // past the inline limit: the entry's log file
  await sender.store({ hash, task: 'p:build', fingerprint: { f: 1 }, durationMs: 42, outputs: ['p/dist/x.txt', 'p/dist/run.sh'], log });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

async function bytesOf(cache: LocalCache): Promise<Buffer> {
  const s = await cache.entryStream(hash);
  const chunks: Uint8Array[] = [];
  for await (const c of s!.open()) chunks.push(c);
  const all = Buffer.concat(chunks);
  expect(all.length).toBe(s!.size);
  return all;
}

async function* streamOf(b: Buffer): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < b.length; i += 1000) yield b.subarray(i, i + 1000);
}

/** The stream with its manifest replaced by `edit(meta)` (checksum recomputed, as an attacker would) and `rest` after it. */
function forged(original: Buffer, edit: (m: EntryMeta) => EntryMeta, rest?: Buffer): Buffer {
  const nl1 = original.indexOf(10);
  const nl2 = original.indexOf(10, nl1 + 1);
  const len = Number(original.toString('utf8', nl1 + 1, nl2));
  const m = parseMeta(hash, original.toString('utf8', nl2 + 1, nl2 + 1 + len));
  if (m.status !== 'ok') throw new Error('bad fixture');
  const meta = Buffer.from(formatMeta(edit(m.meta)));
  return Buffer.concat([Buffer.from(`kiln-entry 1\n${meta.length}\n`), meta, rest ?? original.subarray(nl2 + 1 + len)]);
}

const receive = (b: Buffer, accept: () => string | undefined = () => undefined) => receiver.receive(hash, streamOf(b), accept);
const leftovers = () => (existsSync(join(base, 'b/.kiln/cache/tmp')) ? readdirSync(join(base, 'b/.kiln/cache/tmp')) : []);

describe('an entry as one stream', () => {
  it('goes from one store to another and restores byte for byte, with modes and the log', async () => {
    expect(await receive(await bytesOf(sender))).toMatchObject({ status: 'received', placed: true });
    const r = await receiver.restore(hash);
    expect(r.status).toBe('hit');
    expect(readFileSync(join(base, 'b/p/dist/x.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(base, 'b/p/dist/run.sh'), 'utf8')).toBe('#!/bin/sh\n');
    if (r.status === 'hit') {
      expect(r.meta.durationMs).toBe(42);
      expect(r.log.size).toBe(100000);
    }
    // The sender's stat fields (mtime, inode) describe its own copies: neither sent nor kept.
    const meta = parseMeta(hash, readFileSync(join(entryPath(receiver, hash), 'meta.json'), 'utf8'));
    const sent = await bytesOf(sender);
    expect(sent.toString('latin1')).not.toContain('"ino"');
    expect(meta.status === 'ok' && meta.meta.files.every((f) => f.ino === undefined)).toBe(true);
    // A second download of the same entry keeps the one in place: not this process's copy, so a restore verifies it whole.
    expect(await receive(sent)).toEqual({ status: 'received', placed: false });
  });

  it('keeps a small entry packed: one file for its outputs, each output written once into the workspace', async () => {
    const got = await receive(await bytesOf(sender));
    expect(got.status === 'received' && got.packed?.pack.toString()).toBe('#!/bin/sh\nhello\n');
    expect(readdirSync(entryPath(receiver, hash)).sort()).toEqual(['log', 'meta.json', 'pack']);
    const meta = parseMeta(hash, readFileSync(join(entryPath(receiver, hash), 'meta.json'), 'utf8'));
    expect(meta.status === 'ok' && meta.meta.layout).toBe(PACKED_LAYOUT);
    expect(meta.status === 'ok' && meta.meta.fingerprint).toEqual({ f: 1 });
    expect(storedCopyPath(receiver, hash, 'p/dist/x.txt')).toBeUndefined();
    // A later local hit (another run, outputs missing) reads the pack and verifies it.
    const later = new LocalCache(join(base, 'b'), join(base, 'b/.kiln/cache'));
    const r = await later.restore(hash);
    expect(r.status).toBe('hit');
    const st = statSync(join(base, 'b/p/dist/run.sh'));
    expect([st.nlink, st.mode & 0o777]).toEqual([1, 0o755]);
    expect(readFileSync(join(base, 'b/p/dist/x.txt'), 'utf8')).toBe('hello\n');
    if (r.status === 'hit') expect(r.log.size).toBe(100000);
    // And it goes on to another store as the same entry (the wire layout, not the local one).
    const third = new LocalCache(join(base, 'a'), join(base, 'c/.kiln/cache'));
    expect(await third.receive(hash, streamOf(await bytesOf(later)), () => undefined)).toMatchObject({ status: 'received', placed: true });
    expect((await bytesOf(third)).equals(await bytesOf(sender))).toBe(true);
  });

  it('receives and restores in one go from what it verified, entering every written file in the stat index', async () => {
    const rows = new Map<string, { size: number; ino: number; oid: string }>();
    const index = { get: () => undefined, set: (path: string, st: { size: number; ino: number }, oid: string) => void rows.set(path, { size: st.size, ino: st.ino, oid }) };
    const r = await receiver.receiveAndRestore(hash, streamOf(await bytesOf(sender)), () => undefined, index);
    expect(r.status).toBe('hit');
    if (r.status !== 'hit') return;
    expect([r.meta.layout, r.meta.fingerprint, r.restoredFiles, r.log.size]).toEqual([PACKED_LAYOUT, undefined, 2, 100000]);
    expect(r.metaStat.ino).toBe(statSync(join(entryPath(receiver, hash), 'meta.json')).ino);
    for (const [path, text] of [
      ['p/dist/x.txt', 'hello\n'],
      ['p/dist/run.sh', '#!/bin/sh\n'],
    ] as const) {
      expect(readFileSync(join(base, 'b', path), 'utf8')).toBe(text);
      expect(rows.get(path)).toEqual({ size: text.length, ino: statSync(join(base, 'b', path)).ino, oid: gitBlobId(Buffer.from(text)) });
    }
    // Refusals come back as such, with nothing written.
    rmSync(join(base, 'b/p'), { recursive: true });
    const other = new LocalCache(join(base, 'b'), join(base, 'd/.kiln/cache'), { restoreThreads: 0 });
    const bad = Buffer.from((await bytesOf(sender)).toString('latin1').replace('hello', 'jello'), 'latin1');
    expect(await other.receiveAndRestore(hash, streamOf(bad), () => undefined)).toEqual({ status: 'refused', reason: 'output "p/dist/x.txt" does not match its digest' });
    expect(existsSync(join(base, 'b/p'))).toBe(false);
  });

  const damages: [string, (pack: string) => void][] = [
    ['edited in place (same size)', (pack) => writeFileSync(pack, readFileSync(pack, 'utf8').replace('hello', 'HELLO'))],
    ['truncated', (pack) => writeFileSync(pack, readFileSync(pack).subarray(0, 5))],
    ['longer', (pack) => writeFileSync(pack, Buffer.concat([readFileSync(pack), Buffer.from('x')]))],
    ['missing', (pack) => rmSync(pack)],
  ];
  it.each(damages)('never replays a packed entry whose pack was %s: corrupt, removed, nothing written', async (_name, damage) => {
    await receive(await bytesOf(sender));
    damage(join(entryPath(receiver, hash), 'pack'));
    const r = await receiver.restore(hash);
    expect(r.status).toBe('corrupt');
    expect(existsSync(join(base, 'b/p'))).toBe(false);
    expect(existsSync(entryPath(receiver, hash))).toBe(false);
  });

  it('keeps an entry with a file past 1 MiB unpacked (streamed, never held whole), and restores it', async () => {
    const big = Buffer.alloc(1024 * 1024 + 7, 'b');
    writeFileSync(join(base, 'a/p/dist/big.bin'), big);
    const h = sha256('big');
    await sender.store({ hash: h, task: 'p:build', fingerprint: {}, durationMs: 1, outputs: ['p/dist/x.txt', 'p/dist/big.bin'], log: Buffer.from('ok\n') });
    const s = await sender.entryStream(h);
    const got = await receiver.receive(h, s!.open(), () => undefined);
    expect(got).toEqual({ status: 'received', placed: true });
    expect(readdirSync(entryPath(receiver, h)).sort()).toEqual(['0.out', '1.out', 'meta.json']);
    expect((await receiver.restore(h, undefined, true)).status).toBe('hit');
    expect(readFileSync(join(base, 'b/p/dist/big.bin')).equals(big)).toBe(true);
  });

  it('a restore after another process placed the entry reads its pack again, and refuses a changed one', async () => {
    await receive(await bytesOf(sender));
    // What another process left (or someone edited) between the download and the restore.
    const pack = join(entryPath(receiver, hash), 'pack');
    writeFileSync(pack, readFileSync(pack, 'utf8').replace('hello', 'HELLO'));
    expect((await receiver.restore(hash, undefined, false)).status).toBe('corrupt');
    expect(existsSync(join(base, 'b/p/dist/x.txt'))).toBe(false);
  });

  const refusals: [string, (b: Buffer) => Buffer, RegExp][] = [
    [
      'a path leading out of the workspace',
      (b) => forged(b, (m) => ({ ...m, files: m.files.map((f, i) => (i === 0 ? { ...f, path: '../../outside.txt' } : f)) })),
      /not a plain path inside the workspace/,
    ],
    [
      'an absolute path',
      (b) => forged(b, (m) => ({ ...m, files: m.files.map((f, i) => (i === 0 ? { ...f, path: '/tmp/kiln-evil' } : f)) })),
      /not a plain path inside the workspace/,
    ],
    [
      'a link leading out',
      (b) => forged(b, (m) => ({ ...m, files: [...m.files, { path: 'p/dist/l', size: 0, mode: 0o777, oid: gitBlobId(Buffer.from('../../../etc')), link: '../../../etc' }] })),
      /points outside the workspace/,
    ],
    [
      'an output below another',
      (b) => forged(b, (m) => ({ ...m, files: [{ path: 'p', size: 0, mode: 0o644, oid: gitBlobId(Buffer.alloc(0)) }, ...m.files] })),
      /lies below another output/,
    ],
    ['a file that does not match its digest', (b) => Buffer.from(b.toString('latin1').replace('hello', 'jello'), 'latin1'), /does not match its digest/],
    ['a manifest that does not match its checksum', (b) => Buffer.from(b.toString('latin1').replace('"durationMs":42', '"durationMs":43'), 'latin1'), /checksum/],
    ["another hash's manifest", (b) => forged(b, (m) => ({ ...m, hash: sha256('other') })), /belongs to another hash/],
    ['a truncated body', (b) => b.subarray(0, b.length - 10), /ends inside the log/],
    ['bytes past the end', (b) => Buffer.concat([b, Buffer.from('x')]), /bytes past its end/],
    ['something else entirely', () => Buffer.from('<html>hello</html>'), /not a kiln entry/],
  ];
  it.each(refusals)('refuses %s: nothing is kept, nothing written outside', async (_name, edit, reason) => {
    const r = await receive(edit(await bytesOf(sender)));
    expect(r.status).toBe('refused');
    if (r.status === 'refused') expect(r.reason).toMatch(reason);
    expect(existsSync(entryPath(receiver, hash))).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(existsSync(join(base, 'outside.txt'))).toBe(false);
    expect(existsSync('/tmp/kiln-evil')).toBe(false);
    expect((await receiver.restore(hash)).status).toBe('miss');
  });

  it("refuses a whole, valid entry when the transport's verdict (signature, digest) says no", async () => {
    const r = await receive(await bytesOf(sender), () => 'its signature does not match');
    expect(r).toEqual({ status: 'refused', reason: 'its signature does not match' });
    expect(existsSync(entryPath(receiver, hash))).toBe(false);
  });

  it('lets a stream that breaks off throw, keeping nothing', async () => {
    const b = await bytesOf(sender);
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield b.subarray(0, 500);
      throw new Error('connection reset');
    }
    await expect(receiver.receive(hash, broken(), () => undefined)).rejects.toThrow('connection reset');
    expect(existsSync(entryPath(receiver, hash))).toBe(false);
    expect(leftovers()).toEqual([]);
  });
});
