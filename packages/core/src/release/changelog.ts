/**
 * CHANGELOG.md text for one project's release: a `## version (date)` section grouped by kind,
 * newest on top. Pure: the date and the existing file are given.
 */
import type { PlannedCommit, ProjectReleasePlan } from './plan.js';

const SECTIONS: readonly { readonly title: string; readonly pick: (c: PlannedCommit) => boolean }[] = [
  { title: 'Features', pick: (c) => c.type === 'feat' },
  { title: 'Fixes', pick: (c) => c.type === 'fix' },
  { title: 'Performance', pick: (c) => c.type === 'perf' },
];

/** One release's section. `date` is `YYYY-MM-DD` (the release commit's date, so the text is reproducible). */
export function renderChangelogEntry(plan: ProjectReleasePlan, date: string): string {
  const lines = [`## ${plan.next} (${date})`, ''];
  const breaking = plan.commits.filter((c) => c.breaking);
  if (breaking.length > 0) {
    lines.push('### Breaking changes', '');
    for (const c of breaking) lines.push(`- ${scope(c)}${c.breakingNote ?? c.subject} (${c.hash.slice(0, 7)})`);
    lines.push('');
  }
  for (const section of SECTIONS) {
    const picked = plan.commits.filter(section.pick);
    if (picked.length === 0) continue;
    lines.push(`### ${section.title}`, '');
    for (const c of picked) lines.push(`- ${scope(c)}${c.subject} (${c.hash.slice(0, 7)})`);
    lines.push('');
  }
  if (plan.dependencyBumps.length > 0) {
    lines.push('### Dependencies', '');
    for (const d of plan.dependencyBumps) lines.push(`- ${d.project} updated to ${d.version}`);
    lines.push('');
  }
  if (lines.length === 2) lines.push('No notable changes.', '');
  return lines.join('\n');
}

/** The changelog with `entry` placed above earlier releases, below a `# Changelog` title. */
export function prependChangelog(existing: string | undefined, entry: string): string {
  const title = '# Changelog\n\n';
  if (existing === undefined || existing.trim() === '') return `${title}${entry}`;
  const body = existing.startsWith('# ') ? existing.slice(existing.indexOf('\n') + 1).replace(/^\n+/, '') : existing;
  const head = existing.startsWith('# ') ? `${existing.slice(0, existing.indexOf('\n') + 1)}\n` : title;
  return `${head}${entry}\n${body}`;
}

function scope(c: PlannedCommit): string {
  return c.scope ? `**${c.scope}:** ` : '';
}
