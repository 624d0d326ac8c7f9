/**
 * Reading and scanning source files for the project graph: the hot path of `projectGraph`.
 * Files are read into one reused buffer (no per-file allocation or decoding: the scanner works
 * on bytes), their imports resolved at once, and only the resolved edges kept. Large workspaces
 * split the files with one worker thread per extra CPU. Edge.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ProjectName } from '../model/index.js';
import { cwdRelativePrefix } from '../model/paths.js';
// Only the scanner and resolver: a worker thread loads nothing else.
import { ImportResolver, ProjectLocator } from '../graph/resolve.js';
import { scanImportBytes } from '../graph/scan.js';
import type { Project, TsconfigPaths } from '../workspace/index.js';

/** What a scan needs to know of the workspace; small enough to send to a worker. */
export interface ScanJob {
  readonly root: string;
  readonly files: readonly string[];
  /** The index (into `projects`) of each file's project. */
  readonly owners: Int32Array;
  readonly projects: readonly { readonly name: string; readonly root: string; readonly packageName?: string }[];
  readonly rootProject?: string;
  readonly tsconfigPaths?: TsconfigPaths;
}

/** Import edges as flat arrays of project indices (into `ScanJob.projects`): cheap to pass between threads. */
export interface ScanResult {
  /** Triples: source index, target index, type (1 static, 2 dynamic). */
  readonly edges: number[];
  /** Pairs: source index, npm package name. */
  readonly packages: (number | string)[];
}

/** Below this many files a worker costs more to start than it saves. */
const workerThreshold = 4000;

/** Files per chunk that a thread claims at a time. */
const chunkSize = 256;

export async function scanSources(job: ScanJob): Promise<ScanResult> {
  // KILN_SCAN_THREADS sets the thread count whatever the workspace's size (1: no workers), for measuring and tests.
  const forced = Number(process.env.KILN_SCAN_THREADS);
  const threads = forced > 0 ? forced : job.files.length < workerThreshold ? 1 : Math.min(availableParallelism(), 4);
  if (threads < 2) return scanFiles(job);
  // Work sharing: every thread, this one included, claims the next chunk of files from a shared
  // counter until none is left, so a worker that starts late or a busy CPU never leaves work waiting.
  const next = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from({ length: threads - 1 }, () => runWorker(job, next));
  const own = scanFiles(job, next);
  const results = [own, ...(await Promise.all(workers))];
  return { edges: results.flatMap((r) => r.edges), packages: results.flatMap((r) => r.packages) };
}

function runWorker(job: ScanJob, next: Int32Array): Promise<ScanResult> {
  return new Promise((resolve, reject) => {
    // A larger young generation: the scan allocates many short-lived strings.
    const worker = new Worker(new URL('./scan-worker.js', import.meta.url), { workerData: { job, next }, resourceLimits: { maxYoungGenerationSizeMb: 48 } });
    worker.once('message', (r: ScanResult) => {
      resolve(r);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`import scan worker exited with code ${code}`));
    });
  });
}

/** Scans `job.files` on this thread: all of them, or the chunks it claims from `next` (shared with other threads). */
export function scanFiles(job: ScanJob, next?: Int32Array): ScanResult {
  const projects = job.projects.map((p) => ({ name: p.name, root: p.root, ...(p.packageName && { packageJson: { name: p.packageName } }) }) as unknown as Project);
  const index = new Map(job.projects.map((p, i) => [p.name, i]));
  const locator = new ProjectLocator(projects);
  const resolver = new ImportResolver(projects, locator, job.tsconfigPaths);
  const rootIndex = job.rootProject === undefined ? -1 : index.get(job.rootProject)!;
  // Dedupe per source so results stay small: key = source * count + target, times 2 types.
  const seen = new Set<number>();
  const seenPackages: (Set<string> | undefined)[] = [];
  const edges: number[] = [];
  const packages: (number | string)[] = [];
  const reader = new SourceReader();
  const count = job.projects.length;
  const at = cwdRelativePrefix(job.root);
  const files = job.files;
  let claimed = false;
  /** The next range of files this thread scans, or undefined when none is left. */
  const claim = (): [number, number] | undefined => {
    if (!next) return claimed ? undefined : ((claimed = true), [0, files.length]);
    const start = Atomics.add(next, 0, chunkSize);
    return start < files.length ? [start, Math.min(start + chunkSize, files.length)] : undefined;
  };
  for (let range = claim(); range; range = claim()) for (let i = range[0]; i < range[1]; i++) scanOne(files[i]!, job.owners[i]!);
  return { edges, packages };

  function scanOne(file: string, s: number): void {
    const length = reader.read(at + file);
    if (length < 0) return; // listed by git but deleted in the working tree
    const found = scanImportBytes(reader.buffer, length);
    for (let type = 1; type <= 2; type++) {
      for (const specifier of type === 1 ? found.static : found.dynamic) {
        const r = resolver.resolve(specifier, file);
        if (r === undefined) continue;
        if ('external' in r) {
          const known = (seenPackages[s] ??= new Set());
          if (!known.has(r.external)) {
            known.add(r.external);
            packages.push(s, r.external);
          }
          continue;
        }
        const t = index.get(r.project as ProjectName)!;
        if (t === s || (t === rootIndex && s !== rootIndex)) continue;
        const key = (s * count + t) * 2 + (type - 1);
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push(s, t, type);
      }
    }
  }
}

/** Reads files into one reused, growing buffer. */
class SourceReader {
  buffer = new Uint8Array(1 << 18);
  /** Reads `path`; returns its length, or -1 when it cannot be read. */
  read(path: string): number {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return -1;
    }
    try {
      let length = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      if (length === this.buffer.length) {
        const size = fstatSync(fd).size;
        if (size >= this.buffer.length) {
          const bigger = new Uint8Array(Math.max(size + 1, this.buffer.length * 2));
          bigger.set(this.buffer);
          this.buffer = bigger;
        }
        length += readSync(fd, this.buffer, length, this.buffer.length - length, length);
      }
      return length;
    } catch {
      return -1;
    } finally {
      closeSync(fd);
    }
  }
}
