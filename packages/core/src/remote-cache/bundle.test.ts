import { describe, expect, it } from 'vitest';
import { decodeRunBundle, encodeRunBundle, runBundleKey, RunBundleReader } from './bundle.js';

const h = (c: string) => c.repeat(64);
const entries = [
  { hash: h('a'), body: Buffer.from('first entry') },
  { hash: h('b'), body: Buffer.alloc(0) },
  { hash: h('c'), body: Buffer.from([0, 1, 2, 255]) },
];

describe('run bundles', () => {
  it('give back every entry, byte for byte, by hash', () => {
    const d = decodeRunBundle(encodeRunBundle(entries));
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect([...d.entries.keys()]).toEqual([h('a'), h('b'), h('c')]);
    for (const e of entries) expect(Buffer.from(d.entries.get(e.hash)!).equals(e.body)).toBe(true);
  });

  it('read from a view into a larger buffer', () => {
    const bytes = encodeRunBundle(entries);
    const padded = Buffer.concat([Buffer.from('xxxx'), bytes, Buffer.from('yy')]);
    const d = decodeRunBundle(padded.subarray(4, 4 + bytes.length));
    expect(d.ok && Buffer.from(d.entries.get(h('a'))!).toString()).toBe('first entry');
  });

  it('refuse what is not one whole bundle, saying why', () => {
    const bytes = encodeRunBundle(entries);
    const reason = (b: Uint8Array) => {
      const d = decodeRunBundle(b);
      return d.ok ? 'ok' : d.reason;
    };
    expect(reason(Buffer.from('a tar file, not a bundle'))).toBe('it does not start as a run bundle');
    expect(reason(bytes.subarray(0, bytes.length - 1))).toBe(`the entry ${h('c').slice(0, 12)} runs past its end`);
    expect(reason(Buffer.concat([bytes, Buffer.from('!')]))).toBe('1 bytes follow its last entry');
    expect(reason(bytes.subarray(0, 14))).toBe('its header runs past its end');
    expect(reason(encodeRunBundle([entries[0]!, entries[0]!]))).toContain('wrongly or twice');
    expect(reason(encodeRunBundle([{ hash: '../../etc/passwd', body: Buffer.from('x') }]))).toContain('wrongly or twice');
    const header = Buffer.from('{"entries":[["x"');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(header.length);
    expect(reason(Buffer.concat([Buffer.from('KILNRB01'), length, header]))).toBe('its header is not JSON');
  });

  it('are keyed by the commit and the request, never by where the clone sits', () => {
    const req = { commit: h('1').slice(0, 40), cwd: '', targets: ['build'] };
    const key = runBundleKey(req);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(runBundleKey({ ...req })).toBe(key);
    for (const other of [{ commit: h('2').slice(0, 40) }, { targets: ['test'] }, { projects: ['a'] }, { configuration: 'production' }, { args: ['--x'] }, { cwd: 'packages/a' }])
      expect(runBundleKey({ ...req, ...other })).not.toBe(key);
  });

  it('read as their bytes come, cut anywhere: each entry as soon as its last byte is in, the same bundle at the end', () => {
    const bytes = encodeRunBundle(entries);
    const headerEnd = bytes.length - entries.reduce((sum, e) => sum + e.body.length, 0);
    for (let seed = 1; seed <= 50; seed++) {
      const reader = new RunBundleReader();
      const arrived: string[] = [];
      let at = 0;
      for (let cut = seed; at < bytes.length; cut = (cut * 7 + 3) % 13) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + cut + 1));
        at += chunk.length;
        const pushed = reader.push(chunk);
        expect(pushed.ok).toBe(true);
        if (pushed.ok) for (const e of pushed.arrived) arrived.push(`${e.hash.slice(0, 1)}:${Buffer.from(e.body).toString('hex')}`);
        // By now, exactly the entries whose last byte is in.
        let end = headerEnd;
        const due = entries.filter((e) => (end += e.body.length) <= at && at >= headerEnd).length;
        expect(arrived.length).toBe(due);
      }
      expect(arrived).toEqual(entries.map((e) => `${e.hash.slice(0, 1)}:${e.body.toString('hex')}`));
      const d = reader.end();
      expect(d.ok && [...d.entries.keys()]).toEqual([h('a'), h('b'), h('c')]);
    }
    const cut = new RunBundleReader();
    cut.push(bytes.subarray(0, bytes.length - 2));
    expect(cut.end()).toEqual({ ok: false, reason: `the entry ${h('c').slice(0, 12)} runs past its end` });
    const wrong = new RunBundleReader();
    expect(wrong.push(Buffer.from('KILNRX'))).toEqual({ ok: false, reason: 'it does not start as a run bundle' });
  });
});
