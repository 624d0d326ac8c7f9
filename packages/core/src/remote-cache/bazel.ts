/**
 * Bazel's HTTP remote cache: `/ac/<sha256>` holds action results, `/cas/<sha256>` blobs named
 * by the SHA-256 of their content. A kiln entry is one CAS blob; the action result under the
 * task's hash names it (`bazel-proto.ts`), so bazel-remote with its AC validation, nginx WebDAV
 * and the cloud backends behind them all keep it. Both ends verify: the server the blob's digest
 * on upload, kiln the digest and size of what it downloads, as it streams. Uploads put the blob
 * first, so an action result never names a blob that is not there.
 */
import { createHash } from 'node:crypto';
import { decodeActionResult, encodeActionResult } from './bazel-proto.js';
import type { ArtifactBody, RemoteClient, RemoteHas, RemoteRead, RemoteWrite } from './client.js';
import { readSmall, request, HttpRemote } from './http.js';

/** Action results are a few hundred bytes; anything past this is no kiln entry's. */
const MAX_ACTION_RESULT = 64 * 1024;

export class BazelClient extends HttpRemote implements RemoteClient {
  async has(key: string): Promise<RemoteHas> {
    const a = await request(this.http, 'HEAD', `${this.server}/ac/${key}`);
    if (!a.ok) return { status: 'failed', problem: a.problem };
    a.done();
    if (a.res.status === 404) return { status: 'miss' };
    return a.res.ok ? { status: 'hit' } : this.statusFailure(a.res, `HEAD ac/${key.slice(0, 12)}`);
  }

  async get(key: string): Promise<RemoteRead> {
    const ac = await this.getBody(`${this.server}/ac/${key}`, `GET ac/${key.slice(0, 12)}`);
    if (!('ok' in ac)) return ac;
    let digest: ReturnType<typeof decodeActionResult>;
    try {
      digest = decodeActionResult(await readSmall(ac.body, MAX_ACTION_RESULT));
    } catch (e) {
      return { status: 'failed', problem: { reason: `GET ac/${key.slice(0, 12)}: ${(e as Error).message}`, fatal: false } };
    }
    // An action result kiln cannot use is a refused entry: found, and failing its verdict.
    if (typeof digest === 'string') return { status: 'found', body: (async function* () {})(), verdict: () => `its action result is unusable: ${digest as string}` };
    const blob = await this.getBody(`${this.server}/cas/${digest.hash}`, `GET cas/${digest.hash.slice(0, 12)}`);
    if (!('ok' in blob)) return blob;
    const stream = blob.body;
    const sha = createHash('sha256');
    let received = 0;
    const want = digest;
    async function* body(): AsyncGenerator<Uint8Array> {
      for await (const chunk of stream) {
        received += chunk.length;
        if (received > want.size) return; // the verdict refuses it; no need to read more
        sha.update(chunk);
        yield chunk;
      }
    }
    return {
      status: 'found',
      size: want.size,
      body: body(),
      verdict: () => {
        if (received !== want.size) return `the blob has ${received > want.size ? 'more than ' : ''}${received} bytes where its digest says ${want.size}`;
        const got = sha.digest('hex');
        return got === want.hash ? undefined : `the blob's SHA-256 is ${got.slice(0, 12)}..., not the ${want.hash.slice(0, 12)}... its digest names (changed on the server?)`;
      },
    };
  }

  async put(key: string, body: ArtifactBody): Promise<RemoteWrite> {
    if (this.readOnly) return { status: 'skipped', reason: 'read-only' };
    const sha = createHash('sha256');
    for await (const chunk of body.open()) sha.update(chunk);
    const hash = sha.digest('hex');
    const cas = await request(this.http, 'PUT', `${this.server}/cas/${hash}`, {
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.size) },
      body: body.open(),
    });
    if (!cas.ok) return { status: 'failed', problem: cas.problem };
    cas.done();
    if (!cas.res.ok) return this.statusFailure(cas.res, `PUT cas/${hash.slice(0, 12)}`);
    const result = encodeActionResult({ hash, size: body.size });
    const ac = await request(this.http, 'PUT', `${this.server}/ac/${key}`, { headers: { 'content-type': 'application/octet-stream' }, body: result });
    if (!ac.ok) return { status: 'failed', problem: ac.problem };
    ac.done();
    return ac.res.ok ? { status: 'stored' } : this.statusFailure(ac.res, `PUT ac/${key.slice(0, 12)}`);
  }
}
