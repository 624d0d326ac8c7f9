/**
 * A run bundle's plan: what a clean run of the bundle's commit and request worked out (each task's
 * hash), so that a fresh clone of that commit asking the same restores every task without planning
 * (`api/run-from-bundle.ts`). It is the run manifest (`run-manifest/`) made portable: where the
 * manifest vouches with stats, which mean nothing on another machine, the plan vouches with what
 * is the same on every machine: the commit and the request (the bundle's key), a work tree that is
 * that commit exactly, the env values the fingerprints used, the content of the root files the
 * runner reads directly, and kiln's engine. Pure.
 */
import { changedEnv } from '../inputs/env-patterns.js';
import { isRemoteKey } from './client.js';

export const BUNDLE_PLAN_VERSION = 1;

export interface BundlePlan {
  readonly version: number;
  /** SHA-256 of kiln's engine, by content (`run-manifest` `engineDigest`). */
  readonly engine: string;
  /** SHA-256 of the root files the runner reads directly, by content (`files` `rootFilesDigest`). */
  readonly roots: string;
  /**
   * Env variable → digest of its value (null when unset), every one a fingerprint used. A wildcard
   * (turbo.json's `MY_API_*`) has the digest of the names it matched, for which `envWildcards` vouches.
   */
  readonly env: Readonly<Record<string, string | null>>;
  /**
   * Each wildcard of `env` → every set variable it matched (`inputs` `wildcardMatches`): the plan
   * holds only where the same variables match it (`changedEnv`).
   */
  readonly envWildcards?: Readonly<Record<string, readonly string[]>>;
  /** Every task of the run as it was reported: id and hash. */
  readonly tasks: readonly (readonly [id: string, hash: string])[];
}

/** What this machine has, to compare with a plan. */
export interface PlanFacts {
  readonly engine: string;
  readonly roots: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The plan in a bundle's header, or undefined when there is none this kiln reads (any doubt: no plan). */
export function parseBundlePlan(value: unknown): BundlePlan | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Partial<BundlePlan>;
  if (p.version !== BUNDLE_PLAN_VERSION || typeof p.engine !== 'string' || !HEX64.test(p.engine) || typeof p.roots !== 'string' || !HEX64.test(p.roots)) return undefined;
  if (typeof p.env !== 'object' || p.env === null || Array.isArray(p.env)) return undefined;
  for (const v of Object.values(p.env)) if (v !== null && typeof v !== 'string') return undefined;
  if (p.envWildcards !== undefined && !validWildcards(p.envWildcards)) return undefined;
  if (!Array.isArray(p.tasks) || p.tasks.length === 0) return undefined;
  const ids = new Set<string>();
  for (const t of p.tasks as unknown[]) {
    if (!Array.isArray(t) || t.length !== 2) return undefined;
    const [id, hash] = t as unknown[];
    if (typeof id !== 'string' || id === '' || ids.has(id) || typeof hash !== 'string' || !isRemoteKey(hash)) return undefined;
    ids.add(id);
  }
  return { version: p.version, engine: p.engine, roots: p.roots, env: p.env, ...(p.envWildcards && { envWildcards: p.envWildcards }), tasks: p.tasks };
}

function validWildcards(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((names) => Array.isArray(names) && names.every((n) => typeof n === 'string'));
}

/** Why `plan` does not hold on a machine with `facts`, or undefined when it does. */
export function planMismatch(plan: BundlePlan, facts: PlanFacts): string | undefined {
  if (plan.engine !== facts.engine) return 'it was made by another kiln';
  if (plan.roots !== facts.roots) return 'a root file (lockfile, nx.json, package.json, tsconfig) differs';
  const changed = changedEnv(plan.env, plan.envWildcards, facts.env);
  if (changed !== undefined) return changed.wildcard ? `env ${changed.name} matches other variables` : `env ${changed.name} differs`;
  return undefined;
}
