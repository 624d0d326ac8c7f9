/**
 * A deterministic tar writer and a reader, pure (bytes in, bytes out).
 * Written archives are POSIX ustar (pax `path`/`linkpath` records only when a name does not
 * fit), entries in byte order of their paths, modes 0644/0755, owner 0:0 with empty names,
 * one fixed mtime. Two runs over the same files give the same bytes, whatever the checkout's
 * directory, umask, owner or file times.
 */

export type TarEntry =
  | { readonly type: 'file'; readonly path: string; readonly data: Uint8Array; readonly executable?: boolean }
  | { readonly type: 'directory'; readonly path: string }
  | { readonly type: 'symlink'; readonly path: string; readonly target: string };

const BLOCK = 512;
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sorts (by path bytes) and writes `entries`; every entry gets `mtime` (seconds since the epoch). */
export function writeTar(entries: readonly TarEntry[], mtime: number): Uint8Array {
  const sorted = [...entries].sort((a, b) => compareBytes(enc.encode(a.path), enc.encode(b.path)));
  const seen = new Set<string>();
  const chunks: Uint8Array[] = [];
  for (const e of sorted) {
    const path = e.path.replace(/\/+$/, '');
    if (path === '' || path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.' || s === ''))
      throw new Error(`tar: entry path "${e.path}" must be relative, without "." or ".." segments`);
    if (seen.has(path)) throw new Error(`tar: entry "${path}" appears twice`);
    seen.add(path);
    const name = e.type === 'directory' ? `${path}/` : path;
    const data = e.type === 'file' ? e.data : new Uint8Array(0);
    const mode = e.type === 'file' && !e.executable ? 0o644 : e.type === 'symlink' ? 0o777 : 0o755;
    const link = e.type === 'symlink' ? e.target : '';
    const header = { name, mode, size: data.length, mtime, type: e.type === 'file' ? '0' : e.type === 'directory' ? '5' : '2', link };
    const split = splitName(name);
    const pax: Record<string, string> = {};
    if (!split) pax.path = name;
    if (enc.encode(link).length > 100) pax.linkpath = link;
    if (Object.keys(pax).length > 0) {
      const body = paxRecords(pax);
      chunks.push(headerBlock({ name: 'PaxHeaders/entry', mode: 0o644, size: body.length, mtime, type: 'x', link: '' }, { prefix: '', name: 'PaxHeaders/entry' }));
      chunks.push(padded(body));
    }
    chunks.push(headerBlock(header, split ?? { prefix: '', name: truncate(name, 100) }, pax.linkpath !== undefined));
    if (data.length > 0) chunks.push(padded(data));
  }
  chunks.push(new Uint8Array(BLOCK * 2));
  return concat(chunks);
}

interface Header {
  readonly name: string;
  readonly mode: number;
  readonly size: number;
  readonly mtime: number;
  readonly type: string;
  readonly link: string;
}

function headerBlock(h: Header, where: { prefix: string; name: string }, linkInPax = false): Uint8Array {
  const b = new Uint8Array(BLOCK);
  put(b, 0, 100, where.name);
  putOctal(b, 100, 8, h.mode);
  putOctal(b, 108, 8, 0);
  putOctal(b, 116, 8, 0);
  if (h.size > 0o77777777777) throw new Error(`tar: "${h.name}" is larger than 8 GiB`);
  putOctal(b, 124, 12, h.size);
  putOctal(b, 136, 12, h.mtime);
  b.fill(0x20, 148, 156);
  b[156] = h.type.charCodeAt(0);
  put(b, 157, 100, linkInPax ? truncate(h.link, 100) : h.link);
  put(b, 257, 6, 'ustar');
  put(b, 263, 2, '00');
  // uname, gname: empty; devmajor/devminor: zero.
  putOctal(b, 329, 8, 0);
  putOctal(b, 337, 8, 0);
  put(b, 345, 155, where.prefix);
  let sum = 0;
  for (const x of b) sum += x;
  put(b, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return b;
}

/** ustar's name/prefix split, or undefined when the name needs a pax record. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  const bytes = enc.encode(name);
  if (bytes.length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (enc.encode(prefix).length <= 155 && enc.encode(rest).length <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

function paxRecords(records: Record<string, string>): Uint8Array {
  let text = '';
  for (const [k, v] of Object.entries(records).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const body = ` ${k}=${v}\n`;
    const bodyLength = enc.encode(body).length;
    let len = bodyLength + 1;
    while (len !== bodyLength + String(len).length) len = bodyLength + String(len).length;
    text += `${len}${body}`;
  }
  return enc.encode(text);
}

function put(b: Uint8Array, at: number, width: number, text: string): void {
  const bytes = enc.encode(text);
  if (bytes.length > width) throw new Error(`tar: "${text}" does not fit in ${width} bytes`);
  b.set(bytes, at);
}

function putOctal(b: Uint8Array, at: number, width: number, n: number): void {
  put(b, at, width, `${n.toString(8).padStart(width - 1, '0')}\0`);
}

function truncate(s: string, width: number): string {
  let out = s;
  while (enc.encode(out).length > width) out = out.slice(0, -1);
  return out;
}

function padded(data: Uint8Array): Uint8Array {
  const size = Math.ceil(data.length / BLOCK) * BLOCK;
  if (size === data.length) return data;
  const b = new Uint8Array(size);
  b.set(data);
  return b;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

// ---- reading ----

export interface ReadEntry {
  /** As written in the archive (may be absolute or hold `..`: the extractor decides what is safe). */
  readonly path: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  readonly mtime: number;
  readonly linkTarget: string;
  readonly data: Uint8Array;
}

/** Parses a tar archive (ustar, pax `path`/`linkpath`, GNU long names). */
export function readTar(tar: Uint8Array): ReadEntry[] {
  const entries: ReadEntry[] = [];
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const h = tar.subarray(at, at + BLOCK);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] || 48);
    const data = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (type === 'x') {
      pax = { ...pax, ...parsePax(data) };
      continue;
    }
    if (type === 'g') continue;
    if (type === 'L') {
      longName = str(data, 0, data.length);
      continue;
    }
    if (type === 'K') {
      longLink = str(data, 0, data.length);
      continue;
    }
    const prefix = str(h, 345, 155);
    const name = pax.path ?? longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    const link = pax.linkpath ?? longLink ?? str(h, 157, 100);
    entries.push({
      path: name,
      type: type === '0' || type === '7' ? 'file' : type === '5' ? 'directory' : type === '2' ? 'symlink' : type === '1' ? 'hardlink' : 'other',
      mode: octal(h, 100, 8),
      uid: octal(h, 108, 8),
      gid: octal(h, 116, 8),
      uname: str(h, 265, 32),
      gname: str(h, 297, 32),
      mtime: octal(h, 136, 12),
      linkTarget: link,
      data,
    });
    pax = {};
    longName = longLink = undefined;
  }
  return entries;
}

function str(b: Uint8Array, at: number, width: number): string {
  const s = b.subarray(at, at + width);
  const nul = s.indexOf(0);
  return dec.decode(nul === -1 ? s : s.subarray(0, nul));
}

function octal(b: Uint8Array, at: number, width: number): number {
  const s = str(b, at, width).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const len = Number(dec.decode(data.subarray(at, space)));
    if (space === -1 || !Number.isFinite(len) || len <= 0) break;
    const record = dec.decode(data.subarray(space + 1, at + len - 1));
    const eq = record.indexOf('=');
    out[record.slice(0, eq)] = record.slice(eq + 1);
    at += len;
  }
  return out;
}
