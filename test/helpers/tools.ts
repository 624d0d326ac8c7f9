/**
 * The programs from apt that some slow tests need: the OCI registry, the two tools that check
 * kiln's image layouts independently, and a browser for the graph page. A test that needs a missing one is skipped, and the run
 * says so once, in one line per program (./announce-skips.ts).
 */
import { spawnSync } from 'node:child_process';

interface AptTool {
  /** Names the binary goes by (Debian's docker-registry, upstream's registry). */
  readonly names: readonly string[];
  /** The apt package. */
  readonly apt: string;
  /** What is skipped without it. */
  readonly skipped: string;
}

export const aptTools = {
  registry: { names: ['docker-registry', 'registry'], apt: 'docker-registry', skipped: 'pushing to and pulling from a real OCI registry' },
  skopeo: { names: ['skopeo'], apt: 'skopeo', skipped: 'checking image layouts and pushed images with skopeo' },
  umoci: { names: ['umoci'], apt: 'umoci', skipped: 'unpacking image layouts with umoci' },
  chromium: { names: ['chromium', 'chromium-browser'], apt: 'chromium', skipped: 'opening the graph page in a real browser' },
  nginx: { names: ['nginx'], apt: 'nginx-light', skipped: "the remote cache over Bazel's HTTP protocol (nginx WebDAV)" },
} as const satisfies Record<string, AptTool>;

/** The absolute path of `name` on PATH (or in /usr/bin, /usr/sbin), or undefined. */
function findTool(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${name} || ls /usr/bin/${name} /usr/sbin/${name} 2>/dev/null`], { encoding: 'utf8' });
  const path = r.stdout.trim().split('\n')[0];
  return path ? path : undefined;
}

/** Each apt tool's path, or undefined when it is not installed. */
export function findAptTools(): Record<keyof typeof aptTools, string | undefined> {
  const find = (tool: AptTool) => tool.names.map(findTool).find((path) => path !== undefined);
  return { registry: find(aptTools.registry), skopeo: find(aptTools.skopeo), umoci: find(aptTools.umoci), chromium: find(aptTools.chromium), nginx: find(aptTools.nginx) };
}
