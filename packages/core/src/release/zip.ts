/**
 * A zip reader, pure (bytes in, entries out), enough to say how two archives differ: the central
 * directory's entries in their order, with their names, dates, attributes and contents. Reads
 * archives with bytes in front (a `.pyz` starts with a `#!` line); zip64 and encrypted entries
 * are out of scope (`readZip` gives undefined and the caller compares the bytes).
 */
import { inflateSync } from 'fflate';

export interface ZipEntry {
  readonly name: string;
  /** The entry's DOS date and time as written (no time zone): `YYYY-MM-DD hh:mm:ss`. */
  readonly time: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly crc32: number;
  readonly size: number;
  /** The upper 16 bits of the external attributes: the Unix mode when the creator was Unix. */
  readonly mode: number;
  /** The uncompressed contents; undefined when the method is not one kiln inflates. */
  readonly data: Uint8Array | undefined;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** Whether `bytes` end like a zip archive (an end-of-central-directory record near the end). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return findEnd(bytes) !== undefined;
}

/** The entries of a zip archive in central-directory order, or undefined when it is not one kiln can read. */
export function readZip(bytes: Uint8Array): ZipEntry[] | undefined {
  const end = findEnd(bytes);
  if (end === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint16(end + 10, true);
  const cdSize = view.getUint32(end + 12, true);
  const cdOffset = view.getUint32(end + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) return undefined; // zip64
  // Bytes in front of the archive shift every offset the directory records.
  const shift = end - cdSize - cdOffset;
  const entries: ZipEntry[] = [];
  let at = end - cdSize;
  for (let i = 0; i < count; i++) {
    if (at < 0 || at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) return undefined;
    const method = view.getUint16(at + 10, true);
    const flags = view.getUint16(at + 8, true);
    const time = dosTime(view.getUint16(at + 14, true), view.getUint16(at + 12, true));
    const crc32 = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const mode = view.getUint32(at + 38, true) >>> 16;
    const local = view.getUint32(at + 42, true) + shift;
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
    if (local < 0 || local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) return undefined;
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(start, start + compressed);
    const encrypted = (flags & 1) !== 0;
    const data = encrypted ? undefined : method === 0 ? raw : method === 8 ? inflate(raw) : undefined;
    entries.push({ name, time, method, crc32, size, mode, data });
  }
  return entries;
}

function findEnd(bytes: Uint8Array): number | undefined {
  if (bytes.length < 22) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The record is 22 bytes plus a comment of at most 65,535.
  for (let at = bytes.length - 22; at >= Math.max(0, bytes.length - 22 - 0xffff); at--)
    if (view.getUint32(at, true) === EOCD && at + 22 + view.getUint16(at + 20, true) === bytes.length) return at;
  return undefined;
}

function inflate(raw: Uint8Array): Uint8Array | undefined {
  try {
    return inflateSync(raw);
  } catch {
    return undefined;
  }
}

function dosTime(date: number, time: number): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${1980 + (date >> 9)}-${pad((date >> 5) & 15)}-${pad(date & 31)} ${pad(time >> 11)}:${pad((time >> 5) & 63)}:${pad((time & 31) * 2)}`;
}
