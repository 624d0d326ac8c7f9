/**
 * What plugins inferred, kept in `.kiln/plugins/<plugin>.json`: the plugin's name and glob, and
 * the nodes of each config file under its key (`config.ts`: plugin, version, options, nx.json and
 * the blob ids of the file's folder). Entries this read did not use are kept for a few reads more,
 * so the configuration at a base commit is usually still there. A file that cannot be read or
 * written costs only speed: the plugin runs again.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Projects = Record<string, Record<string, unknown>>;
interface Stored {
  version: number;
  name?: string;
  glob?: string | null;
  /** Key → the file and its nodes, and the read that last used it. */
  entries: Record<string, { file: string; projects: Projects; read: number }>;
  reads: number;
}

const VERSION = 1;
/** Reads an unused entry survives. */
const KEEP_READS = 8;

export interface PluginCache {
  readonly name: string | undefined;
  /** The plugin's glob (null: it has no createNodes), undefined when never loaded. */
  readonly glob: string | null | undefined;
  remember(name: string, glob: string | null): void;
  get(key: string): Projects | undefined;
  set(key: string, file: string, projects: Projects): void;
  /** Writes the cache back when something changed; `used` are this read's keys. */
  save(used: readonly string[]): void;
}

export function openPluginCache(root: string, id: string): PluginCache {
  const path = join(root, '.kiln', 'plugins', `${id}.json`);
  let stored: Stored = { version: VERSION, entries: {}, reads: 0 };
  try {
    const read = JSON.parse(readFileSync(path, 'utf8')) as Stored;
    if (read.version === VERSION) stored = read;
  } catch {
    // none yet, or unreadable: start empty
  }
  let dirty = false;
  return {
    get name() {
      return stored.name;
    },
    get glob() {
      return stored.glob;
    },
    remember(name, glob) {
      stored.name = name;
      stored.glob = glob;
      dirty = true;
    },
    get: (key) => stored.entries[key]?.projects,
    set(key, file, projects) {
      stored.entries[key] = { file, projects, read: stored.reads };
      dirty = true;
    },
    save(used) {
      // A read that changes nothing writes nothing: the warm path stays free of writes.
      const stale = used.some((k) => stored.entries[k] !== undefined && stored.entries[k]!.read !== stored.reads);
      if (!dirty && !stale) return;
      stored.reads += 1;
      for (const k of used) if (stored.entries[k]) stored.entries[k]!.read = stored.reads;
      for (const [k, e] of Object.entries(stored.entries)) if (stored.reads - e.read > KEEP_READS) delete stored.entries[k];
      try {
        mkdirSync(join(root, '.kiln', 'plugins'), { recursive: true });
        try {
          writeFileSync(join(root, '.kiln', '.gitignore'), '*\n', { flag: 'wx' });
        } catch {
          // exists
        }
        const tmp = `${path}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(stored));
        renameSync(tmp, path);
      } catch {
        // a read-only or full disk costs the next read its speed, nothing else
      }
    },
  };
}
