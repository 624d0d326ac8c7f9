/**
 * `kiln artifact --check-reproducible`: builds the selected services twice, each time in a fresh
 * temporary checkout (release/checkout.ts: HEAD plus the work tree's changes) at another path,
 * with other file times and at another moment, never from the cache, and compares the artifacts'
 * digests; where they differ, says which files differ and how (release/differences.ts).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileDifferences, layerDifferences, makeCheckout, readLayoutImage, type Difference } from '../release/index.js';
import { artifactIn, type ArtifactSummary } from './artifact-pack.js';
import { runnerBuildStep, type ArtifactCommandOptions } from './artifact.js';
import { loadReleaseContext, releaseConfig, requireProjects } from './release-load.js';

export interface ReproducibilityResult {
  readonly project: string;
  readonly reproducible: boolean;
  /** The artifact's digest in the first and the second build. */
  readonly digests: readonly [string, string];
  readonly differences: readonly Difference[];
}

export type CheckOptions = Pick<ArtifactCommandOptions, 'cwd' | 'projects' | 'env' | 'progress' | 'warn' | 'output'>;

/** The two builds: where each checkout goes (below one temporary folder) and how its files are dated. */
const BUILDS = [
  { label: 'first', path: ['one', 'workspace'], mtime: () => 1_000_000_000 },
  { label: 'second', path: ['two', 'another', 'deeper', 'checkout'], mtime: (i: number) => 1_900_000_000 + 7919 * i },
] as const;

export async function checkReproducible(options: CheckOptions): Promise<{ results: ReproducibilityResult[] }> {
  const ctx = await loadReleaseContext(options.cwd);
  const projects = requireProjects(ctx, options.projects ?? releaseConfig(ctx).artifacts.projects).map((p) => p.name);
  if (projects.length === 0) return { results: [] };
  const place = await mkdtemp(join(tmpdir(), 'kiln-reproducible-'));
  const warned = new Set<string>();
  const warn = (line: string) => {
    if (!warned.has(line)) options.warn?.(line);
    warned.add(line);
  };
  try {
    const builds: { dir: string; artifacts: Map<string, ArtifactSummary> }[] = [];
    let startedAt = 0;
    for (const b of BUILDS) {
      // Another moment: a tool that writes the time to the second would otherwise agree by chance.
      const wait = startedAt + 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      startedAt = Date.now();
      const dir = await makeCheckout(ctx.root, join(place, ...b.path), { mtime: b.mtime });
      options.progress?.(`${b.label} build, in ${dir}`);
      const step = { ...options, cwd: dir, warn, ...(options.progress && { progress: (l: string) => options.progress!(`${b.label} build: ${l}`) }) };
      const result = await artifactIn(await loadReleaseContext(dir), { projects, build: runnerBuildStep(step, true), ...step });
      builds.push({ dir, artifacts: new Map(result.artifacts.map((a) => [a.project, a])) });
    }
    const [first, second] = builds as [(typeof builds)[0], (typeof builds)[0]];
    const results: ReproducibilityResult[] = [];
    for (const project of projects) {
      const a = first.artifacts.get(project)!;
      const b = second.artifacts.get(project)!;
      const same = a.digest === b.digest;
      results.push({ project, reproducible: same, digests: [a.digest, b.digest], differences: same ? [] : await differences(join(first.dir, a.path), join(second.dir, b.path)) });
    }
    return { results };
  } finally {
    await rm(place, { recursive: true, force: true });
  }
}

/** What differs between two builds' artifacts (layout folders): the layers' files, else the image configuration. */
async function differences(first: string, second: string): Promise<Difference[]> {
  const inLayer = layerDifferences(await readFile(`${first}.tar.gz`), await readFile(`${second}.tar.gz`));
  if (inLayer.length > 0) return inLayer;
  const [a, b] = [await readLayoutImage(first), await readLayoutImage(second)];
  const inConfig = fileDifferences('(image config)', a.config, b.config);
  return inConfig.length > 0 ? inConfig : fileDifferences('(image manifest)', a.manifest, b.manifest);
}
