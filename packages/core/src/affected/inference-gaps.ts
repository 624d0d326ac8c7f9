/**
 * The safe side when nx.json's plugins could not infer part of the configuration: a plugin that
 * did not load at all hides which projects it would have given targets and inputs, so any change
 * affects everything; a plugin that failed on some config files hides the targets and inputs of
 * the projects owning them, so any change touches those. Pure: the gaps come in as data.
 */
import { ProjectIndex } from '../graph/project-index.js';
import type { ProjectRef, Reason, Touch } from './types.js';

/** Config files a plugin could not infer from (`*`: it did not load). */
export interface InferenceGapRef {
  readonly plugin: string;
  readonly files: readonly string[] | '*';
  readonly message: string;
}

export function inferenceGapReasons(gaps: readonly InferenceGapRef[], projects: readonly ProjectRef[], anythingChanged: boolean): { global: Reason[]; touches: Touch[] } {
  const global: Reason[] = [];
  const touches: Touch[] = [];
  if (!anythingChanged || gaps.length === 0) return { global, touches };
  const index = new ProjectIndex(projects);
  for (const gap of gaps) {
    if (gap.files === '*') {
      global.push({ kind: 'global', file: 'nx.json', detail: `the Nx plugin ${gap.plugin} did not run (${gap.message}), so the targets and inputs it infers are unknown` });
      continue;
    }
    for (const file of gap.files) {
      const owner = index.projectOf(file);
      if (owner !== undefined)
        touches.push({ project: owner, reason: { kind: 'file', file, detail: `the Nx plugin ${gap.plugin} failed on it, so this project's targets and inputs are unknown` } });
      else global.push({ kind: 'global', file, detail: `the Nx plugin ${gap.plugin} failed on it, and it belongs to no project` });
    }
  }
  return { global, touches };
}
