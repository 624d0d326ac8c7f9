import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ArtifactSigner, tagMatches } from './sign.js';

const sign = (key: string, hash: string, team: string, chunks: string[]): string => {
  const s = new ArtifactSigner(key, hash, team);
  for (const c of chunks) s.update(Buffer.from(c));
  return s.tag();
};

describe("turbo's artifact signature", () => {
  it('is base64 HMAC-SHA256 over the hash, the team id, then the body, as turbo computes it', () => {
    // Turborepo's signature_authentication.rs: mac(key); update(hash); update(team_id); update(body); BASE64_STANDARD.
    const expected = createHmac('sha256', 'x3vq8mFz0J')
      .update(Buffer.concat([Buffer.from('d5b7e4688f'), Buffer.from('tH7sL1Rn9K'), Buffer.from([5, 72, 219, 39, 156])]))
      .digest('base64');
    const s = new ArtifactSigner('x3vq8mFz0J', 'd5b7e4688f', 'tH7sL1Rn9K');
    s.update(Buffer.from([5, 72]));
    s.update(Buffer.from([219, 39, 156]));
    expect(s.tag()).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('does not depend on how the body is split into chunks, but on every byte, the key, the hash and the team', () => {
    const tag = sign('k', 'h', 't', ['ab', 'cd']);
    expect(sign('k', 'h', 't', ['a', 'bcd'])).toBe(tag);
    expect(sign('k', 'h', 't', ['abce'])).not.toBe(tag);
    expect(sign('K', 'h', 't', ['abcd'])).not.toBe(tag);
    expect(sign('k', 'h2', 't', ['abcd'])).not.toBe(tag);
    expect(sign('k', 'h', 't2', ['abcd'])).not.toBe(tag);
  });

  it('verifies a matching tag and refuses another, a truncated or a garbage one', () => {
    const tag = sign('k', 'h', 't', ['body']);
    const fresh = () => {
      const s = new ArtifactSigner('k', 'h', 't');
      s.update(Buffer.from('body'));
      return s;
    };
    expect(tagMatches(fresh(), tag)).toBe(true);
    expect(tagMatches(fresh(), ` ${tag}\n`)).toBe(true);
    expect(tagMatches(fresh(), sign('other', 'h', 't', ['body']))).toBe(false);
    expect(tagMatches(fresh(), tag.slice(0, 20))).toBe(false);
    expect(tagMatches(fresh(), 'not base64 at all!')).toBe(false);
  });
});
