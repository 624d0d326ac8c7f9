/**
 * The `org.opencontainers.image.source` of an artifact, from the remote URL, normalised so that
 * every clone of one repository stamps the same value (and so the same digest): ssh and https
 * forms agree, credentials and `.git` are dropped, and local paths (which differ per machine)
 * give no source at all.
 */
export function normaliseSourceUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const u = url.trim();
  let host: string;
  let path: string;
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(u);
  const full = /^(?:https?|ssh|git|git\+ssh):\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/.exec(u);
  if (full) [host, path] = [full[1]!, full[2]!];
  else if (scp && !/^[A-Za-z]$/.test(scp[1]!)) [host, path] = [scp[1]!, scp[2]!];
  else return undefined;
  path = path.replace(/\/+$/, '').replace(/\.git$/, '');
  return `https://${host.toLowerCase()}/${path}`;
}
