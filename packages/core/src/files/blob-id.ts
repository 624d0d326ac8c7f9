/**
 * Git blob ids of files read in chunks, for files too big to hold in memory at once (a Buffer stops
 * at 2 GiB, and a file of hundreds of megabytes read whole costs as much memory). Smaller files are
 * cheaper read whole: `readFile` and `gitBlobId`.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { gitBlobHasher } from '../model/index.js';

/** Files above this size are hashed (and, in the cache, copied) in chunks rather than read whole. */
export const LARGE_FILE = 16 * 1024 * 1024;

const CHUNK = 1024 * 1024;

/** The blob id of the `size` bytes of the file at `path`, or undefined when it does not hold exactly `size` bytes. */
export function blobIdOfFileSync(path: string, size: number): string | undefined {
  const hasher = gitBlobHasher(size);
  const buffer = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(path, 'r');
  let total = 0;
  try {
    for (let n; (n = readSync(fd, buffer, 0, CHUNK, null)) > 0; total += n) hasher.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return total === size ? hasher.digest('hex') : undefined;
}

/** `blobIdOfFileSync` without blocking the event loop. */
export async function blobIdOfFile(path: string, size: number): Promise<string | undefined> {
  const hasher = gitBlobHasher(size);
  const handle = await open(path, 'r');
  let total = 0;
  try {
    for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK, autoClose: false }) as AsyncIterable<Buffer>) {
      hasher.update(chunk);
      total += chunk.length;
    }
  } finally {
    await handle.close();
  }
  return total === size ? hasher.digest('hex') : undefined;
}
