/**
 * Turborepo's Remote Cache API v8: `HEAD/GET/PUT /v8/artifacts/:hash?teamId=|slug=`, a Bearer
 * token, `x-artifact-duration`, and `x-artifact-tag` when a signature key is set: uploads are
 * signed (a first pass over the body, since the tag is a header), and every read must carry a
 * tag that verifies over the body as it streams. Works with Vercel's service and self-hosted
 * servers (ducktors/turborepo-remote-cache and the like).
 */
import type { ArtifactBody, RemoteClient, RemoteHas, RemoteRead, RemoteWrite } from './client.js';
import { request, HttpRemote } from './http.js';
import { ArtifactSigner, tagMatches } from './sign.js';

export class TurboClient extends HttpRemote implements RemoteClient {
  // turbo's API takes a token; Basic auth from the URL is not its kind of credential.
  protected override get sendsCredentials(): boolean {
    return this.settings.token !== undefined;
  }

  private url(key: string): string {
    const q =
      this.settings.teamId !== undefined
        ? `?teamId=${encodeURIComponent(this.settings.teamId)}`
        : this.settings.team !== undefined
          ? `?slug=${encodeURIComponent(this.settings.team)}`
          : '';
    return `${this.settings.url}/v8/artifacts/${key}${q}`;
  }

  /** What the signature covers besides the hash: the team id as turbo sends it. */
  private signer(key: string): ArtifactSigner | undefined {
    const k = this.settings.signatureKey;
    return k === undefined ? undefined : new ArtifactSigner(k, key, this.settings.teamId ?? this.settings.team ?? '');
  }

  async has(key: string): Promise<RemoteHas> {
    const a = await request(this.http, 'HEAD', this.url(key));
    if (!a.ok) return { status: 'failed', problem: a.problem };
    a.done();
    if (a.res.status === 404) return { status: 'miss' };
    return a.res.ok ? { status: 'hit' } : this.statusFailure(a.res, `HEAD ${key.slice(0, 12)}`);
  }

  async get(key: string): Promise<RemoteRead> {
    const a = await this.getBody(this.url(key), `GET ${key.slice(0, 12)}`);
    if (!('ok' in a)) return a;
    const { res, body: stream } = a;
    const signer = this.signer(key);
    const tag = res.headers.get('x-artifact-tag');
    const length = Number(res.headers.get('content-length') ?? NaN);
    const duration = Number(res.headers.get('x-artifact-duration') ?? NaN);
    let received = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream) {
        received += chunk.length;
        signer?.update(chunk);
        yield chunk;
      }
    }
    return {
      status: 'found',
      body: body(),
      ...(Number.isFinite(length) && { size: length }),
      ...(Number.isFinite(duration) && duration >= 0 && { durationMs: duration }),
      verdictIsLength: signer === undefined,
      verdict: () => {
        if (Number.isFinite(length) && received !== length) return `the body has ${received} bytes where the server announced ${length}`;
        if (!signer) return undefined;
        if (tag === null) return 'it carries no signature (x-artifact-tag), and a signature key is set';
        return tagMatches(signer, tag) ? undefined : 'its signature (x-artifact-tag) does not match: another key signed it, or it was changed';
      },
    };
  }

  async put(key: string, body: ArtifactBody, durationMs?: number): Promise<RemoteWrite> {
    if (this.readOnly) return { status: 'skipped', reason: 'read-only' };
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(body.size) };
    if (durationMs !== undefined) headers['x-artifact-duration'] = String(Math.round(durationMs));
    const signer = this.signer(key);
    if (signer) {
      for await (const chunk of body.open()) signer.update(chunk);
      headers['x-artifact-tag'] = signer.tag();
    }
    const a = await request(this.http, 'PUT', this.url(key), { headers, body: body.open() });
    if (!a.ok) return { status: 'failed', problem: a.problem };
    a.done();
    return a.res.ok ? { status: 'stored' } : this.statusFailure(a.res, `PUT ${key.slice(0, 12)}`);
  }
}
