/**
 * How two builds of one artifact differ, pure: the files of the two layers that differ and, for
 * each, the first differing bytes; inside a zip or tar file (a `.pyz`, a `.jar`, a nested
 * tarball) the members that differ, with their list order, times, modes and first differing
 * bytes. Building twice and reading the layers is api/'s; wording for a person is
 * `describeDifference`.
 */
import { gunzipSync } from 'fflate';
import { readTar, type ReadEntry } from './tar.js';
import { readZip, type ZipEntry } from './zip.js';

export type DifferenceKind = 'only-in-first' | 'only-in-second' | 'type' | 'mode' | 'link' | 'time' | 'owner' | 'order' | 'content';

export interface Difference {
  /** The file inside the artifact (its path in the layer); `(image config)` for the image's configuration. */
  readonly path: string;
  /** A member of the archive file at `path` (a zip or tar), when the difference is inside it. */
  readonly member?: string;
  readonly kind: DifferenceKind;
  /** `content`: where the first differing byte is. */
  readonly offset?: number;
  /** What the first build has (bytes from `offset` as text or hex, a mode, a time, a member list). */
  readonly first?: string;
  /** What the second build has. */
  readonly second?: string;
}

/** Bytes shown from the first difference on. */
const EXCERPT = 32;

/** The differences between two layer blobs (gzipped tars, as in the artifact). */
export function layerDifferences(first: Uint8Array, second: Uint8Array): Difference[] {
  return tarDifferences(readTar(gunzipSync(first)), readTar(gunzipSync(second)), (d) => d);
}

/** The differences between two files at `path`: inside them when both are zip or tar archives, else their first differing bytes. */
export function fileDifferences(path: string, first: Uint8Array, second: Uint8Array): Difference[] {
  if (equalBytes(first, second)) return [];
  const member = (d: Difference): Difference => ({ ...d, path, member: d.path });
  const zips = [readZip(first), readZip(second)];
  if (zips[0] && zips[1]) {
    const inside = zipDifferences(zips[0], zips[1]).map(member);
    // Same members, same times, same bytes: what is left is in the archive's own records.
    return inside.length > 0 ? inside : [contentDifference(path, first, second)];
  }
  const tars = [asTar(first), asTar(second)];
  if (tars[0] && tars[1]) {
    const inside = tarDifferences(tars[0], tars[1], member);
    return inside.length > 0 ? inside : [contentDifference(path, first, second)];
  }
  return [contentDifference(path, first, second)];
}

function tarDifferences(a: readonly ReadEntry[], b: readonly ReadEntry[], wrap: (d: Difference) => Difference): Difference[] {
  const out: Difference[] = [];
  const inB = new Map(b.map((e) => [e.path, e]));
  const inA = new Map(a.map((e) => [e.path, e]));
  const order = listOrder(
    a.map((e) => e.path),
    b.map((e) => e.path),
  );
  if (order) out.push(wrap({ path: '', kind: 'order', ...order }));
  for (const ea of a) {
    const eb = inB.get(ea.path);
    if (!eb) {
      out.push(wrap({ path: ea.path, kind: 'only-in-first' }));
      continue;
    }
    if (ea.type !== eb.type) out.push(wrap({ path: ea.path, kind: 'type', first: ea.type, second: eb.type }));
    if (ea.mode !== eb.mode) out.push(wrap({ path: ea.path, kind: 'mode', first: octal(ea.mode), second: octal(eb.mode) }));
    if (ea.mtime !== eb.mtime) out.push(wrap({ path: ea.path, kind: 'time', first: isoSeconds(ea.mtime), second: isoSeconds(eb.mtime) }));
    if (ea.uid !== eb.uid || ea.gid !== eb.gid || ea.uname !== eb.uname || ea.gname !== eb.gname)
      out.push(wrap({ path: ea.path, kind: 'owner', first: owner(ea), second: owner(eb) }));
    if (ea.linkTarget !== eb.linkTarget) out.push(wrap({ path: ea.path, kind: 'link', first: ea.linkTarget, second: eb.linkTarget }));
    if (ea.type === 'file' && eb.type === 'file') out.push(...fileDifferences(ea.path, ea.data, eb.data).map(wrap));
  }
  for (const eb of b) if (!inA.has(eb.path)) out.push(wrap({ path: eb.path, kind: 'only-in-second' }));
  return out;
}

function zipDifferences(a: readonly ZipEntry[], b: readonly ZipEntry[]): Difference[] {
  const out: Difference[] = [];
  const inB = new Map(b.map((e) => [e.name, e]));
  const inA = new Map(a.map((e) => [e.name, e]));
  const order = listOrder(
    a.map((e) => e.name),
    b.map((e) => e.name),
  );
  if (order) out.push({ path: '', kind: 'order', ...order });
  for (const ea of a) {
    const eb = inB.get(ea.name);
    if (!eb) {
      out.push({ path: ea.name, kind: 'only-in-first' });
      continue;
    }
    if (ea.time !== eb.time) out.push({ path: ea.name, kind: 'time', first: ea.time, second: eb.time });
    if (ea.mode !== eb.mode) out.push({ path: ea.name, kind: 'mode', first: octal(ea.mode), second: octal(eb.mode) });
    if (ea.data && eb.data) {
      if (!equalBytes(ea.data, eb.data)) out.push(contentDifference(ea.name, ea.data, eb.data));
    } else if (ea.crc32 !== eb.crc32 || ea.size !== eb.size)
      out.push({ path: ea.name, kind: 'content', first: `crc32 ${hex32(ea.crc32)}, ${ea.size} bytes`, second: `crc32 ${hex32(eb.crc32)}, ${eb.size} bytes` });
  }
  for (const eb of b) if (!inA.has(eb.name)) out.push({ path: eb.name, kind: 'only-in-second' });
  return out;
}

/** Where two byte strings first differ, with the bytes from there on. */
export function contentDifference(path: string, a: Uint8Array, b: Uint8Array): Difference {
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  return { path, kind: 'content', offset: at, first: excerpt(a.subarray(at, at + EXCERPT)), second: excerpt(b.subarray(at, at + EXCERPT)) };
}

/** One line for a person: `app/user.pyz: member user/main.py: time 2024-01-01 10:00:00 ≠ 2024-01-01 10:00:02`. */
export function describeDifference(d: Difference): string {
  const where = d.member === undefined ? d.path : d.member === '' ? `${d.path} (archive)` : `${d.path}: member ${d.member}`;
  switch (d.kind) {
    case 'only-in-first':
      return `${where}: only in the first build`;
    case 'only-in-second':
      return `${where}: only in the second build`;
    case 'content':
      return d.offset === undefined ? `${where}: contents ${d.first} ≠ ${d.second}` : `${where}: first difference at byte ${d.offset}: ${d.first} ≠ ${d.second}`;
    case 'order':
      return `${where || '(layer)'}: entries in another order: ${d.first} ≠ ${d.second}`;
    default:
      return `${where}: ${d.kind} ${d.first} ≠ ${d.second}`;
  }
}

function listOrder(a: readonly string[], b: readonly string[]): { first: string; second: string } | undefined {
  const common = new Set(a.filter((n) => b.includes(n)));
  const x = a.filter((n) => common.has(n));
  const y = b.filter((n) => common.has(n));
  const i = x.findIndex((n, k) => n !== y[k]);
  if (i < 0) return undefined;
  return { first: x.slice(i, i + 3).join(', '), second: y.slice(i, i + 3).join(', ') };
}

/** A tar, or a gzipped tar, as entries; undefined when it is neither. */
function asTar(bytes: Uint8Array): ReadEntry[] | undefined {
  let tar = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      tar = gunzipSync(bytes);
    } catch {
      return undefined;
    }
  }
  const magic = new TextDecoder().decode(tar.subarray(257, 262));
  if (tar.length < 512 || magic !== 'ustar') return undefined;
  try {
    return readTar(tar);
  } catch {
    return undefined;
  }
}

/** Printable text as a JSON string; anything else as hex. `(end)` when nothing is left. */
function excerpt(bytes: Uint8Array): string {
  if (bytes.length === 0) return '(end)';
  const printable = bytes.every((c) => (c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x09 || c === 0x0d);
  if (printable) return JSON.stringify(new TextDecoder().decode(bytes));
  return [...bytes].map((c) => c.toString(16).padStart(2, '0')).join(' ');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;
const hex32 = (n: number) => n.toString(16).padStart(8, '0');
const owner = (e: ReadEntry) => `${e.uid}:${e.gid}${e.uname || e.gname ? ` (${e.uname}:${e.gname})` : ''}`;
const isoSeconds = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
