/**
 * What the CLI and the daemon say to each other: one JSON line each way per connection. Values
 * keep their kind across the wire (Maps, Sets and bytes are tagged), so an answer from the daemon
 * is the same value the operation returns in the CLI's own process.
 */
import type { Diagnostic } from '../model/diagnostic.js';

/** Bump when requests or answers change shape: a CLI and a daemon that differ answer directly. */
export const PROTOCOL_VERSION = 1;

/**
 * The one rule for "a different kiln": the daemon answers only a CLI of its own build (version and
 * build times, `buildIdentity` in the CLI) speaking its protocol. Why not, or undefined when they match.
 */
export function otherBuild(daemon: { readonly protocol: number; readonly version: string }, asking: { readonly protocol: number; readonly version: string }): string | undefined {
  return daemon.protocol === asking.protocol && daemon.version === asking.version ? undefined : `the daemon is kiln ${daemon.version}, this is ${asking.version}`;
}

/** What a daemon says to `ping`: enough to tell whether it is of the asking CLI's build. */
export interface DaemonPing {
  readonly pid: number;
  readonly version: string;
  readonly protocol: number;
}

export interface DaemonRequest {
  readonly protocol: number;
  /** The kiln version of the asking CLI: a daemon of another version does not answer. */
  readonly version: string;
  /** An operation's name (`affected`, `hash`…), or `status`, `stop`, `ping`, or `subscribe` (a stream of change batches: subscribe.ts). */
  readonly op: string;
  readonly args: unknown;
  readonly cwd: string;
  readonly env: Record<string, string>;
}

/** Where an answer came from: memory (nothing changed since it was computed) or computed now by the warm daemon. */
export type AnswerSource = 'memory' | 'computed';

export type DaemonResponse =
  | { readonly kind: 'answer'; readonly value: unknown; readonly source: AnswerSource }
  | { readonly kind: 'error'; readonly diagnostics: readonly Diagnostic[]; readonly exitCode: number }
  /** The daemon cannot prove its state current, or is of another version: answer directly. */
  | { readonly kind: 'unprovable'; readonly reason: string };

export interface DaemonStatus {
  readonly pid: number;
  readonly root: string;
  /** Its kiln build, and the protocol it speaks: `otherBuild` tells whether it answers a given CLI. */
  readonly version: string;
  readonly protocol: number;
  readonly socket: string;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly watchedFolders: number;
  readonly watchedFiles: number;
  /** Folders watched beyond the workspace watcher's, for `kiln run`'s check (outputs git ignores, cache entries, kiln's engine). */
  readonly runCheckFolders: number;
  readonly lastEventAt: string | null;
  readonly answers: { readonly memory: number; readonly computed: number; readonly unprovable: number };
  readonly trouble: string | null;
}

/** JSON with Maps, Sets and bytes kept. */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Map) return { $map: [...raw.entries()] };
    if (raw instanceof Set) return { $set: [...raw] };
    if (raw instanceof Uint8Array) return { $bytes: Buffer.from(raw).toString('base64') };
    return v;
  });
}

export function decode(text: string): unknown {
  // No tagged value in it (a run's cached answer, 1,000 tasks): plain JSON, without a call per value.
  if (!text.includes('"$map"') && !text.includes('"$set"') && !text.includes('"$bytes"')) return JSON.parse(text);
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map(o.$map as [unknown, unknown][]);
      if (Array.isArray(o.$set) && Object.keys(o).length === 1) return new Set(o.$set);
      if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$bytes, 'base64');
    }
    return v;
  });
}
