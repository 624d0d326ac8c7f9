/**
 * Edge: whether the registries still serve what artifacts.json records for an artifact, before
 * `kiln promote` writes its digest into an environment: a tag that now holds another digest (a
 * version pushed again from other contents), or a pushed tag that is gone, would deploy something
 * other than what was built and checked.
 */
import { diagnostic, type Diagnostic } from '../model/index.js';
import { projectRepository } from './artifacts.js';
import type { ArtifactRecord } from './promote.js';
import { parseImageReference, taggedDigest } from './registry.js';

/**
 * A `promote-digest-mismatch` when a registry the artifact was pushed to, or nx.json's
 * `kiln.registry` (`registry`), serves another digest under its version, or when one it was pushed
 * to serves none; undefined when all agree.
 */
export async function servedMismatch(
  record: Pick<ArtifactRecord, 'project' | 'version' | 'digest' | 'pushed'>,
  registry: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Diagnostic | undefined> {
  const places = new Map<string, boolean>();
  for (const p of record.pushed ?? []) {
    const ref = parseImageReference(p);
    if (ref) places.set(`${ref.registry}/${ref.repository}`, true);
  }
  if (registry) {
    const d = projectRepository(registry, record.project);
    if (!places.has(d)) places.set(d, false);
  }
  for (const [destination, pushed] of [...places].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const served = await taggedDigest(destination, record.version, env);
    if (served === record.digest || (served === undefined && !pushed)) continue;
    const what = served === undefined ? `no longer serves ${destination}:${record.version}` : `serves ${served} as ${destination}:${record.version}`;
    return diagnostic('promote-digest-mismatch', `${record.project}@${record.version} is recorded as ${record.digest}, but the registry ${what}.`, {
      hint: 'Promote only what the registry serves: build and push again under a new version, or find out who replaced the tag.',
    });
  }
  return undefined;
}
