/**
 * Edge: writes a planned release's files, a project at a time: the new version into the
 * manifest that holds it (keeping the file's formatting) and the changelog entry on top of the
 * project's CHANGELOG.md. Planning and rendering are plan.ts's and changelog.ts's; the release
 * commit and tags are scm/'s.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { prependChangelog } from './changelog.js';

export interface ReleaseFiles {
  /** The project's root, repo-relative (`''`: the workspace root); its CHANGELOG.md lives there. */
  readonly root: string;
  readonly version: string;
  /** The manifest to write `version` into (package.json or project.json), when versions are written. */
  readonly manifest?: string;
  /** The rendered entry to prepend, when changelogs are written. */
  readonly changelogEntry?: string;
}

/** Writes each project's manifest, then its changelog, in the order given; returns the files written, in that order. */
export async function writeReleaseFiles(workspaceRoot: string, projects: readonly ReleaseFiles[]): Promise<string[]> {
  const written: string[] = [];
  for (const project of projects) {
    if (project.manifest !== undefined) {
      const file = project.manifest;
      const text = await readFile(join(workspaceRoot, file), 'utf8');
      const edits = modify(text, ['version'], project.version, { formattingOptions: { insertSpaces: true, tabSize: 2 } });
      await writeFile(join(workspaceRoot, file), applyEdits(text, edits));
      written.push(file);
    }
    if (project.changelogEntry !== undefined) {
      const file = project.root === '' ? 'CHANGELOG.md' : `${project.root}/CHANGELOG.md`;
      const before = await readFile(join(workspaceRoot, file), 'utf8').catch(() => undefined);
      await writeFile(join(workspaceRoot, file), prependChangelog(before, project.changelogEntry));
      written.push(file);
    }
  }
  return written;
}
