import { describe, expect, it } from 'vitest';
import { decodeActionResult, encodeActionResult } from './bazel-proto.js';

const hash = 'ab'.repeat(32);

describe("Bazel's ActionResult, as much as kiln needs", () => {
  it('round-trips the digest of the kiln-entry output, sizes past one varint byte included', () => {
    for (const size of [0, 1, 127, 128, 300, 2 ** 31 + 5, 2 ** 40]) expect(decodeActionResult(encodeActionResult({ hash, size }))).toEqual({ hash, size });
  });

  it('is the protobuf encoding: output_files (2) { path (1), digest (2) { hash (1), size_bytes (2) } }', () => {
    const bytes = Buffer.from(encodeActionResult({ hash, size: 5 }));
    const digest = Buffer.concat([Buffer.from([0x0a, 64]), Buffer.from(hash), Buffer.from([0x10, 5])]);
    const file = Buffer.concat([Buffer.from([0x0a, 10]), Buffer.from('kiln-entry'), Buffer.from([0x12, digest.length]), digest]);
    expect(bytes).toEqual(Buffer.concat([Buffer.from([0x12, file.length]), file]));
  });

  it('skips fields it does not know, and says why a result is unusable', () => {
    const extra = Buffer.concat([Buffer.from([0x20, 0x00]), Buffer.from([0x3a, 0x02, 0x01, 0x02]), Buffer.from(encodeActionResult({ hash, size: 9 }))]); // exit_code 0, an unknown message
    expect(decodeActionResult(extra)).toEqual({ hash, size: 9 });
    expect(decodeActionResult(new Uint8Array())).toBe('it names no kiln-entry output');
    expect(decodeActionResult(Buffer.from('garbage, no protobuf'))).toMatch(/^it (is not an ActionResult|names no kiln-entry output)/);
    expect(decodeActionResult(Buffer.from([0x12, 0x50, 0x0a]))).toMatch(/^it is not an ActionResult \(truncated/);
    const notSha = encodeActionResult({ hash: 'x'.repeat(64), size: 1 });
    expect(decodeActionResult(notSha)).toBe('its kiln-entry digest is not a SHA-256');
  });
});
