/** kiln's version, and the build it is (what the daemon and its client must share to talk). */
import { readFileSync, statSync } from 'node:fs';

let cachedVersion: string | undefined;
export function version(): string {
  cachedVersion ??= (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cachedVersion;
}

/** The version and when each package was last built: a daemon of another build does not answer. */
export function buildIdentity(): string {
  const built = (url: string): string => {
    try {
      return String(statSync(new URL(url, import.meta.url)).mtimeMs);
    } catch {
      return '-';
    }
  };
  return `${version()}+${built('./.tsbuildinfo')}+${built('../../core/dist/.tsbuildinfo')}`;
}
