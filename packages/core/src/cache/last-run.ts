/**
 * The last cached run of each task (stored or restored): its hash and fingerprint. Kept beside the
 * entries (`last/<task>@<hash>.json`), so `why-miss` can still explain after the entry itself was
 * evicted. The hash is in the file name, so one directory listing tells which pointers a run must
 * update, without reading a file per task.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { lastDir, tempName } from './root.js';

export interface LastRun {
  readonly hash: string;
  readonly fingerprint: unknown;
}

export class LastRuns {
  /** Task (encoded) → the hashes `last/` holds for it; listed once per process, and shared: concurrent callers must not each see an empty listing. */
  private index: Promise<Map<string, string[]>> | undefined;

  /** `dir`: the cache folder. */
  constructor(private readonly dir: string) {}

  async get(task: string): Promise<LastRun | undefined> {
    const prefix = `${encodeTask(task)}@`;
    const last = lastDir(this.dir);
    const names = (await readdir(last).catch(() => [] as string[])).filter((n) => n.startsWith(prefix) && n.endsWith('.json'));
    let best: { name: string; at: number } | undefined;
    for (const name of names) {
      const at = (await stat(join(last, name)).catch(() => undefined))?.mtimeMs;
      if (at !== undefined && (best === undefined || at > best.at)) best = { name, at };
    }
    if (!best) return undefined;
    try {
      const data = JSON.parse(await readFile(join(last, best.name), 'utf8')) as { hash?: string; fingerprint?: unknown };
      return typeof data.hash === 'string' ? { hash: data.hash, fingerprint: data.fingerprint } : undefined;
    } catch {
      return undefined;
    }
  }

  async set(task: string, hash: string, fingerprint: unknown): Promise<void> {
    const last = lastDir(this.dir);
    this.index ??= readdir(last).then(
      (names) => {
        const index = new Map<string, string[]>();
        for (const name of names) {
          const m = /^(.*)@([0-9a-f]+)\.json$/.exec(name);
          if (!m) continue;
          const list = index.get(m[1]!) ?? [];
          list.push(m[2]!);
          index.set(m[1]!, list);
        }
        return index;
      },
      () => new Map<string, string[]>(),
    );
    const index = await this.index;
    const enc = encodeTask(task);
    const existing = index.get(enc) ?? [];
    if (existing.length === 1 && existing[0] === hash) return;
    await mkdir(last, { recursive: true });
    const file = join(last, `${enc}@${hash}.json`);
    const tmp = tempName(this.dir, 'last');
    await mkdir(dirname(tmp), { recursive: true });
    await writeFile(tmp, JSON.stringify({ task, hash, fingerprint }));
    await rename(tmp, file);
    for (const old of existing) if (old !== hash) await rm(join(last, `${enc}@${old}.json`), { force: true });
    index.set(enc, [hash]);
  }
}

function encodeTask(task: string): string {
  return encodeURIComponent(task).replace(/\*/g, '%2A');
}
