/**
 * Every command, by name, with the one-line summary `kiln --help` shows.
 * A command's module is imported only when it runs, so start-up stays cheap.
 * To add a command: one line here and a module in this folder exporting `command`.
 */
import type { Command } from '../command.js';

interface Entry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

export const commands: Record<string, Entry> = {
  projects: { summary: 'list the projects of the workspace', load: async () => (await import('./projects.js')).command },
  graph: { summary: 'show the project graph (dependencies between projects)', load: async () => (await import('./graph.js')).command },
  affected: { summary: 'list the projects (or tasks) a change affects, with reasons', load: async () => (await import('./affected.js')).command },
  owners: { summary: 'who owns a path, who must approve a change; lint and generate CODEOWNERS', load: async () => (await import('./owners.js')).command },
  release: { summary: 'version changed projects from conventional commits: changelogs, a release commit, tags', load: async () => (await import('./release.js')).command },
  artifact: { summary: 'build services once and pack each into a reproducible tarball and OCI image', load: async () => (await import('./artifact.js')).command },
  promote: { summary: "record a built artifact's digest in environments/ENV.json, never rebuilding", load: async () => (await import('./promote.js')).command },
  run: { summary: 'run a target with its dependsOn graph, cached', load: async () => (await import('./run.js')).command },
  hash: { summary: "print a task's hash and its inputs", load: async () => (await import('./hash.js')).command },
  cache: { summary: 'local cache housekeeping: stats (entries, size, age) and clean', load: async () => (await import('./cache.js')).command },
  completion: { summary: 'print a shell completion script: bash, zsh or fish', load: async () => (await import('./completion.js')).command },
  watch: { summary: "run a target's affected tasks again whenever files change, through the cache", load: async () => (await import('./watch.js')).command },
  daemon: { summary: 'start, stop or ask about the workspace daemon that answers queries from memory', load: async () => (await import('./daemon.js')).command },
  ci: { summary: "split a target's tasks into weighted shards for CI runners (a GitHub Actions matrix)", load: async () => (await import('./ci.js')).command },
  'why-miss': { summary: 'explain what changed since the last cached run of a task', load: async () => (await import('./why-miss.js')).command },
};
