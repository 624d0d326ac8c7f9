/**
 * nx.json's `"kiln"` settings, read alone: a fresh clone's start (`state-restore.ts`,
 * `run-from-bundle.ts`) needs them before anything else of the workspace, so this file loads
 * nothing but the settings' reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../workspace/json.js';
import { defaultKilnConfig, readKilnConfig, type KilnConfig } from '../workspace/kiln-config.js';
import { Checker } from '../workspace/validate.js';

/** nx.json's `"kiln"` settings, read without loading the workspace; a broken nx.json leaves the defaults (the workspace reader reports it). */
export function kilnConfig(root: string): KilnConfig {
  try {
    const parsed = parseJson(readFileSync(join(root, 'nx.json'), 'utf8'), 'nx.json');
    if (parsed.ok) return readKilnConfig(new Checker(parsed.value), root);
  } catch {
    // no nx.json
  }
  return defaultKilnConfig(root);
}
