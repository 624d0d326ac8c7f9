/**
 * The little of Bazel's remote execution protobufs kiln needs: an `ActionResult` (field 2,
 * repeated `OutputFile`: 1 path, 2 `Digest` {1 hash, 2 size_bytes}) naming the one CAS blob that
 * holds a kiln entry. Written by hand (a few varints) rather than pulling in a protobuf library;
 * unknown fields are skipped, so results other tools wrote read as "no kiln entry". Pure.
 */

/** The output file name under which an action result points at a kiln entry. */
export const ENTRY_OUTPUT = 'kiln-entry';

export interface BlobDigest {
  readonly hash: string;
  readonly size: number;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function field(num: number, bytes: Uint8Array): number[] {
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes];
}

/** An ActionResult whose one output file `kiln-entry` is the blob `digest`. */
export function encodeActionResult(digest: BlobDigest): Uint8Array {
  const enc = new TextEncoder();
  const d = new Uint8Array([...field(1, enc.encode(digest.hash)), ...varint((2 << 3) | 0), ...varint(digest.size)]);
  const file = new Uint8Array([...field(1, enc.encode(ENTRY_OUTPUT)), ...field(2, d)]);
  return new Uint8Array(field(2, file));
}

interface Field {
  readonly num: number;
  readonly bytes?: Uint8Array;
  readonly value?: number;
}

/** The fields of one message; throws on bytes that are no protobuf. */
function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let i = 0;
  const readVarint = (): number => {
    let n = 0;
    let mul = 1;
    for (;;) {
      if (i >= buf.length || mul > 2 ** 63) throw new Error('truncated varint');
      const b = buf[i++]!;
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  };
  while (i < buf.length) {
    const tag = readVarint();
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === 0) out.push({ num, value: readVarint() });
    else if (wire === 2) {
      const len = readVarint();
      if (i + len > buf.length) throw new Error('truncated field');
      out.push({ num, bytes: buf.subarray(i, i + len) });
      i += len;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire}`);
    if (i > buf.length) throw new Error('truncated field');
  }
  return out;
}

/** The digest of the `kiln-entry` output of an ActionResult, or why there is none. */
export function decodeActionResult(buf: Uint8Array): BlobDigest | string {
  const dec = new TextDecoder('utf-8', { fatal: true });
  try {
    for (const f of fields(buf)) {
      if (f.num !== 2 || !f.bytes) continue;
      const file = fields(f.bytes);
      const path = file.find((x) => x.num === 1 && x.bytes);
      if (!path || dec.decode(path.bytes) !== ENTRY_OUTPUT) continue;
      const d = file.find((x) => x.num === 2 && x.bytes);
      if (!d) return 'its kiln-entry output has no digest';
      const parts = fields(d.bytes!);
      const hash = parts.find((x) => x.num === 1 && x.bytes);
      const size = parts.find((x) => x.num === 2 && x.value !== undefined)?.value ?? 0;
      const hex = hash ? dec.decode(hash.bytes) : '';
      if (!/^[0-9a-f]{64}$/.test(hex)) return 'its kiln-entry digest is not a SHA-256';
      return { hash: hex, size };
    }
    return 'it names no kiln-entry output';
  } catch (e) {
    return `it is not an ActionResult (${(e as Error).message})`;
  }
}
