import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { INLINE_LOG, LogCapture, replayLog } from './log.js';

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('LogCapture', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-log-'));
  afterEach(() => rmSync(join(dir, 'spill'), { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps a short log in memory and touches no file', () => {
    const capture = new LogCapture(() => join(dir, 'spill'));
    capture.write(Buffer.from('one\n'));
    capture.write(Buffer.from('two\n'));
    expect(capture.finish()).toEqual({ status: 'memory', bytes: Buffer.from('one\ntwo\n'), size: 8, sha256: digest(Buffer.from('one\ntwo\n')) });
    expect(existsSync(join(dir, 'spill'))).toBe(false);
  });

  it('writes a long log to its file as it arrives, with its digest, and replays it in chunks', async () => {
    const capture = new LogCapture(() => join(dir, 'spill'));
    const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(INLINE_LOG / 3, String.fromCharCode(97 + (i % 26))));
    for (const c of chunks) capture.write(c);
    const whole = Buffer.concat(chunks);
    const log = capture.finish();
    expect(log).toEqual({ status: 'file', path: join(dir, 'spill'), size: whole.length, sha256: digest(whole) });
    expect(readFileSync(join(dir, 'spill')).equals(whole)).toBe(true);
    const replayed: Buffer[] = [];
    await replayLog({ size: whole.length, file: join(dir, 'spill') }, (c) => replayed.push(Buffer.from(c)));
    expect(Buffer.concat(replayed).equals(whole)).toBe(true);
    capture.discard();
    expect(existsSync(join(dir, 'spill'))).toBe(false);
  });

  it('gives the cache its reason when a long log cannot be kept', () => {
    const capture = new LogCapture('the cache directory "c" cannot be written (EROFS)');
    capture.write(Buffer.alloc(INLINE_LOG + 1));
    expect(capture.finish()).toEqual({ status: 'lost', reason: 'the cache directory "c" cannot be written (EROFS)' });
  });
});
