/**
 * Turborepo's artifact signature (`x-artifact-tag`): base64 of HMAC-SHA256 under the shared key
 * over the artifact's hash, the team id, then the body, as turbo computes it. Incremental, so
 * a body is signed and verified as it streams. Pure.
 */
import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';

export class ArtifactSigner {
  private readonly mac: Hmac;

  constructor(key: string, hash: string, teamId: string) {
    this.mac = createHmac('sha256', key);
    this.mac.update(hash);
    this.mac.update(teamId);
  }

  update(chunk: Uint8Array): void {
    this.mac.update(chunk);
  }

  /** The tag (call once, after the last chunk). */
  tag(): string {
    return this.mac.digest('base64');
  }
}

/** Whether `tag` (as the server returned it) is the one `signer` computed over the body. */
export function tagMatches(signer: ArtifactSigner, tag: string): boolean {
  const expected = Buffer.from(signer.tag(), 'base64');
  const got = Buffer.from(tag.trim(), 'base64');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
