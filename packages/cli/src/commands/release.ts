/** `kiln release`: next version per changed project from conventional commits; versions, changelogs, commit and tags. */
import { release } from '@kiln/core/api/release';
import { boolOpt, ExitCode, jsonOption, type Command } from '../command.js';
import { selectedProjects, selectionOf, selectionOptions } from '../selection.js';

export const command: Command = {
  name: 'release',
  summary: 'version changed projects from conventional commits: changelogs, a release commit, tags',
  usage: 'kiln release [--dry-run] [-p PROJECT,...] [--skip-versions] [--skip-changelog] [--skip-commit] [--skip-tags] [--json]',
  options: {
    'dry-run': { type: 'boolean', description: 'show the plan; write nothing' },
    ...selectionOptions('only these release projects'),
    'skip-versions': { type: 'boolean', description: 'do not write new versions into package.json/project.json' },
    'skip-changelog': { type: 'boolean', description: 'do not write CHANGELOG.md files' },
    'skip-commit': { type: 'boolean', description: 'do not make the release commit' },
    'skip-tags': { type: 'boolean', description: 'do not tag the release' },
    ...jsonOption,
  },
  details: [
    'Projects and tags follow nx.json "release" (projects, projectsRelationship "independent",',
    'releaseTag.pattern, default "{projectName}@{version}"). A project\'s current version is its highest',
    'release tag reachable from HEAD, else its package.json (or project.json) "version".',
    'Commits since that tag touching the project or its dependencies decide the bump: fix/perf patch,',
    'feat minor, "!" or BREAKING CHANGE major; below 1.0.0 major→minor and minor→patch. Dependents of a',
    'released project get at least a patch. Malformed commit headers are skipped with a note.',
    '--json prints {"projects":{name:{"current","next","bump","commits":[...],"tag","dependencyBumps"}},"skipped":[...],"commit","tags"}.',
    'Exit codes: 0 done (or nothing to release); 2 usage or configuration error.',
  ].join('\n'),
  async run(args, ctx) {
    const projects = await selectedProjects(selectionOf(args), ctx, 'release');
    const result = await release({
      cwd: ctx.cwd,
      ...(projects && { projects }),
      dryRun: boolOpt(args, 'dry-run'),
      // Absent flags leave the decision to nx.json release.changelog/git.
      ...(boolOpt(args, 'skip-versions') && { skipVersions: true }),
      ...(boolOpt(args, 'skip-changelog') && { skipChangelog: true }),
      ...(boolOpt(args, 'skip-commit') && { skipCommit: true }),
      ...(boolOpt(args, 'skip-tags') && { skipTags: true }),
    });
    for (const s of result.skipped) ctx.out.warn(`${s.project}: skipped commit ${s.hash.slice(0, 7)}, "${s.message}"`);
    if (boolOpt(args, 'json')) {
      ctx.out.json({ projects: result.projects, skipped: result.skipped, commit: result.commit, tags: result.tags });
      return ExitCode.ok;
    }
    const names = Object.keys(result.projects);
    if (names.length === 0) {
      ctx.out.info('nothing to release: no project has a fix, feat, perf or breaking commit since its last release.');
      return ExitCode.ok;
    }
    const width = Math.max(...names.map((n) => n.length));
    for (const name of names) {
      const p = result.projects[name]!;
      ctx.out.print(`${ctx.out.style('bold', name.padEnd(width))}  ${p.current} → ${ctx.out.style('green', p.next)}  (${p.bump})`);
      for (const c of p.commits) ctx.out.print(ctx.out.style('dim', `  ${c.hash.slice(0, 7)} ${c.type}${c.scope ? `(${c.scope})` : ''}${c.breaking ? '!' : ''}: ${c.subject}`));
      for (const d of p.dependencyBumps) ctx.out.print(ctx.out.style('dim', `  depends on ${d.project}@${d.version}`));
    }
    if (boolOpt(args, 'dry-run')) ctx.out.info('dry run: nothing written.');
    else {
      if (result.commit) ctx.out.info(`committed ${result.commit.slice(0, 12)} (${result.written.length} files)`);
      if (result.tags.length) ctx.out.info(`tagged ${result.tags.join(', ')}`);
    }
    return ExitCode.ok;
  },
};
