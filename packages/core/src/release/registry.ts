/**
 * Edge: the OCI distribution API (https://github.com/opencontainers/distribution-spec) over
 * fetch. Push: HEAD each blob, upload the missing ones (POST then a monolithic PUT), then PUT
 * the manifest under its tag. Pull: manifests and blobs, digests checked. Auth: anonymous,
 * then Basic or a Bearer token from the realm a 401 names, with credentials from the
 * environment or ~/.docker/config.json (credentials.ts). Credentials never appear in messages.
 * On top of the client: an artifact pushed under its version, a base image pulled, the digest a
 * tag holds.
 */
import { findCredentials, type Credentials } from './credentials.js';
import { diagnostic, err, KilnError, ok, type Diagnostic, type Result } from '../model/index.js';
import { readLayoutBlob, type LayoutBlobSource } from './layout.js';
import { imageConfigProblem, imageIndexProblem, manifestProblem, MEDIA, ociDigest, ociJson, selectManifest, type BaseImage, type Image, type ImageIndex, type Manifest, type Platform } from './oci.js';

export interface ImageReference {
  /** `host[:port]`. */
  readonly registry: string;
  /** Repository path, e.g. `shop/catalog`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Parses `host[:port]/path[:tag|@digest]`; a registry host is required (no Docker Hub default). */
export function parseImageReference(text: string): ImageReference | undefined {
  const m = /^([a-zA-Z0-9.-]+(?::\d+)?|\[[0-9a-fA-F:]+\](?::\d+)?)\/([a-z0-9]+(?:[._-][a-z0-9]+|__)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/.exec(text);
  if (!m) return undefined;
  return { registry: m[1]!, repository: m[2]!, ...(m[3] && { tag: m[3] }), ...(m[4] && { digest: m[4] }) };
}

/**
 * The repository a version is pushed to or looked up in: `destination` must be `HOST/NAME` (the tag
 * is the version). Checked before any work: a bad one is a usage or configuration error (exit 2).
 */
export function pushRepository(destination: string): Result<ImageReference, Diagnostic> {
  const ref = parseImageReference(destination);
  if (!ref || ref.tag || ref.digest)
    return err(
      diagnostic('artifact-bad-registry', `"${destination}" is not HOST/NAME (the tag is the version).`, {
        hint: 'e.g. registry.example.com/shop/{projectName}, given to --push or set as "kiln.registry" in nx.json.',
      }),
    );
  return ok(ref);
}

/** A registry's answer, read whole within the request's timeout. */
interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

export interface RegistryClientOptions {
  /** Plain HTTP for a host that is not a loopback address. */
  readonly insecure?: boolean;
  /** Per attempt, answer and body included. Default 30 s, or KILN_REGISTRY_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  /** Attempts of a request that is safe to repeat. Default 3. */
  readonly attempts?: number;
  /** Wait before the second attempt, doubled before each further one. Default 250 ms. */
  readonly backoffMs?: number;
}

/** Answers worth another attempt: the server or a proxy in front of it is overloaded or restarting. */
const TRANSIENT = new Set([429, 500, 502, 503, 504]);

/**
 * A client for one repository on one registry. Every request has a timeout; the ones that are
 * safe to repeat (all but starting an upload) are retried with backoff on a network fault, a
 * timeout or a transient status. An answer that is not the registry's (an HTML page from a proxy
 * or a login portal) is an error, never taken for success.
 */
export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(
    private readonly ref: ImageReference,
    private readonly credentials: Credentials | undefined,
    options: RegistryClientOptions = {},
  ) {
    const host = ref.registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const plain = options.insecure || host === 'localhost' || host === '::1' || /^127\./.test(host);
    this.base = `${plain ? 'http' : 'https'}://${ref.registry}/v2/${ref.repository}`;
    const fromEnv = Number(process.env.KILN_REGISTRY_TIMEOUT_MS);
    this.timeoutMs = options.timeoutMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : 30_000);
    this.attempts = options.attempts ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const r = await this.request('HEAD', `/blobs/${digest}`);
    if (r.status === 404) return false;
    if (r.status !== 200) throw this.failure('check blob', r);
    const reported = r.headers.get('docker-content-digest');
    if (reported !== null && reported !== digest) throw this.mismatch(`blob ${digest} is reported as ${reported}`);
    return true;
  }

  /** Uploads a blob unless the registry already has it; returns whether it was sent. */
  async pushBlob(digest: string, data: Uint8Array): Promise<boolean> {
    if (await this.hasBlob(digest)) return false;
    const start = await this.request('POST', '/blobs/uploads/', { headers: { 'content-length': '0' } });
    if (start.status !== 202) throw this.failure('start blob upload', start);
    const location = start.headers.get('location');
    if (!location) throw this.failure('start blob upload (no Location)', start);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.toString(), {
      body: data,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.length) },
    });
    if (put.status !== 201) throw this.failure(`upload blob ${digest}`, put);
    return true;
  }

  /** PUTs a manifest under `reference` (a tag or digest); returns the digest the registry reports. */
  async pushManifest(reference: string, data: Uint8Array, mediaType: string = MEDIA.manifest): Promise<string> {
    return (await this.putManifest(reference, data, mediaType)).digest;
  }

  /**
   * PUTs a manifest under `reference`; also returns the `OCI-Subject` header, which a registry
   * with the referrers API sends back for a manifest that has a `subject`.
   */
  async putManifest(reference: string, data: Uint8Array, mediaType: string): Promise<{ digest: string; subject?: string }> {
    const r = await this.request('PUT', `/manifests/${reference}`, { body: data, headers: { 'content-type': mediaType } });
    if (r.status !== 201 && r.status !== 200) throw this.failure(`put manifest ${reference}`, r);
    const subject = r.headers.get('oci-subject');
    return { digest: r.headers.get('docker-content-digest') ?? ociDigest(data), ...(subject !== null && { subject }) };
  }

  /** The referrers API's index for `digest`; undefined when the registry has no such API (it answers 404). */
  async referrers(digest: string): Promise<ImageIndex | undefined> {
    const r = await this.request('GET', `/referrers/${digest}`, { headers: { accept: MEDIA.index } });
    if (r.status === 404 || r.status === 405 || r.status === 400) return undefined;
    if (r.status !== 200) throw this.failure(`list referrers of ${digest}`, r);
    try {
      const index = JSON.parse(new TextDecoder().decode(r.body)) as ImageIndex;
      return Array.isArray(index.manifests) ? index : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The digest of the manifest under `reference`, or undefined when the registry says it has none
   * (404). Any other answer is an error: an unknown answer is never "absent", or a published tag
   * could be overwritten.
   */
  async manifestDigest(reference: string): Promise<string | undefined> {
    const r = await this.request('HEAD', `/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw this.failure(`check manifest ${reference}`, r);
    return r.headers.get('docker-content-digest') ?? (await this.getManifest(reference)).digest;
  }

  async getManifest(reference: string): Promise<{ data: Uint8Array; mediaType: string; digest: string }> {
    const r = await this.request('GET', `/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
    if (r.status !== 200) throw this.failure(`get manifest ${reference}`, r);
    const digest = ociDigest(r.body);
    if (reference.startsWith('sha256:') && digest !== reference) throw this.mismatch(`manifest ${reference} has digest ${digest}`);
    return { data: r.body, mediaType: r.headers.get('content-type') ?? MEDIA.manifest, digest };
  }

  async getBlob(digest: string): Promise<Uint8Array> {
    const r = await this.request('GET', `/blobs/${digest}`);
    if (r.status !== 200) throw this.failure(`get blob ${digest}`, r);
    if (ociDigest(r.body) !== digest) throw this.mismatch(`blob ${digest} does not match its digest`);
    return r.body;
  }

  private async request(method: string, pathOrUrl: string, init: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    // Starting an upload creates a session on the server: a repeat would leave one behind.
    const attempts = method === 'POST' ? 1 : this.attempts;
    let r = await this.attempt(method, url, init, attempts);
    if (r.status === 401 && (await this.authenticate(r.headers.get('www-authenticate')))) r = await this.attempt(method, url, init, attempts);
    if (r.status >= 200 && r.status < 300 && /^text\/html\b/i.test(r.headers.get('content-type') ?? ''))
      throw new KilnError(
        diagnostic('registry-bad-response', `${this.ref.registry} answered ${method} ${new URL(url).pathname} with an HTML page, not the registry API.`, {
          hint: 'A proxy or a login portal may stand in front of the registry; check the host name and the network.',
        }),
        1,
      );
    return r;
  }

  private async attempt(method: string, url: string, init: { body?: Uint8Array; headers?: Record<string, string> }, attempts: number): Promise<Answer> {
    for (let n = 1; ; n++) {
      const outcome = await this.send(method, url, init);
      const retry = outcome.kind === 'fault' || TRANSIENT.has(outcome.answer.status);
      if (!retry || n >= attempts) {
        if (outcome.kind === 'answer') return outcome.answer;
        throw new KilnError(diagnostic('registry-unreachable', `cannot reach registry ${this.ref.registry} (${method} ${new URL(url).pathname}, ${n} attempt${n === 1 ? '' : 's'}): ${outcome.message}`), 1);
      }
      await new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (n - 1)));
    }
  }

  /** One request, its body read whole, within the timeout. */
  private async send(method: string, url: string, init: { body?: Uint8Array; headers?: Record<string, string> }): Promise<{ kind: 'answer'; answer: Answer } | { kind: 'fault'; message: string }> {
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      const r = await fetch(url, {
        method,
        redirect: 'follow',
        signal,
        headers: { ...init.headers, ...(this.authorization && { authorization: this.authorization }) },
        ...(init.body && { body: init.body }),
      });
      const body = new Uint8Array(await r.arrayBuffer());
      const length = r.headers.get('content-length');
      if (method !== 'HEAD' && length !== null && Number(length) !== body.length) return { kind: 'fault', message: `the answer was cut short (${body.length} of ${length} bytes)` };
      return { kind: 'answer', answer: { status: r.status, headers: r.headers, body } };
    } catch (e) {
      if (signal.aborted) return { kind: 'fault', message: `no answer within ${this.timeoutMs} ms` };
      return { kind: 'fault', message: ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message };
    }
  }

  /** Answers a 401 challenge; false when there is nothing more to try. */
  private async authenticate(challenge: string | null): Promise<boolean> {
    if (!challenge || this.authorization?.startsWith('Bearer ')) return false;
    const c = this.credentials;
    const scheme = challenge.split(' ', 1)[0]!.toLowerCase();
    if (scheme === 'basic') {
      if (!c?.username || this.authorization) return false;
      this.authorization = `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
      return true;
    }
    if (scheme !== 'bearer') return false;
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) return false;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', params.scope ?? `repository:${this.ref.repository}:pull,push`);
    const headers: Record<string, string> = {};
    if (c?.username) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password ?? ''}`).toString('base64')}`;
    else if (c?.token) {
      this.authorization = `Bearer ${c.token}`;
      return true;
    }
    const r = await this.attempt('GET', url.toString(), { headers }, this.attempts);
    if (r.status !== 200) throw new KilnError(diagnostic('registry-auth-failed', `registry ${this.ref.registry} refused the credentials (token service answered ${r.status}).`, { hint: 'Check KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD or `docker login`.' }), 1);
    let body: { token?: string; access_token?: string };
    try {
      body = JSON.parse(new TextDecoder().decode(r.body)) as typeof body;
    } catch {
      throw new KilnError(diagnostic('registry-auth-failed', `the token service of ${this.ref.registry} answered with something other than JSON.`), 1);
    }
    const token = body?.token ?? body?.access_token;
    if (typeof token !== 'string' || token === '') return false;
    this.authorization = `Bearer ${token}`;
    return true;
  }

  private failure(what: string, r: Answer): KilnError {
    const hint = r.status === 401 || r.status === 403 ? 'Log in (docker login, or KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD) with push rights.' : undefined;
    return new KilnError(diagnostic('registry-request-failed', `registry ${this.ref.registry}: ${what} failed with HTTP ${r.status}.`, hint ? { hint } : {}), 1);
  }

  private mismatch(what: string): KilnError {
    return new KilnError(diagnostic('registry-digest-mismatch', `${this.ref.registry}: ${what}.`), 1);
  }
}

const MANIFEST_TYPES = [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');

/** Pushes an image (blobs first, then the manifest under `tag`); returns the manifest digest. */
export async function pushImage(
  client: RegistryClient,
  image: { manifest: { digest: string; data: Uint8Array; mediaType: string }; blobs: readonly { digest: string }[] },
  blobData: (digest: string) => Promise<Uint8Array>,
  tag: string,
): Promise<{ digest: string; uploaded: number }> {
  let uploaded = 0;
  for (const b of image.blobs) if (await client.pushBlob(b.digest, await blobData(b.digest))) uploaded++;
  const digest = await client.pushManifest(tag, image.manifest.data, image.manifest.mediaType);
  if (digest !== image.manifest.digest)
    throw new KilnError(diagnostic('registry-digest-mismatch', `the registry stored the manifest as ${digest}, not ${image.manifest.digest}.`), 1);
  return { digest, uploaded };
}


/** A client for `ref`, with the credentials for its registry; KILN_REGISTRY_INSECURE=1 forces plain HTTP. */
export async function registryClient(ref: ImageReference, env?: NodeJS.ProcessEnv): Promise<RegistryClient> {
  return new RegistryClient(ref, await findCredentials(ref.registry, env), { insecure: env?.KILN_REGISTRY_INSECURE === '1' });
}

/**
 * Pushes an artifact's image, tagged with its version, to `destination` (`HOST/NAME`), reading
 * its blobs from the OCI layout `layoutDir`, then whatever `attach` pushes with the same client (its
 * referrers: attach.ts). A version is built once: a tag that already holds another digest is
 * refused. Returns `HOST/NAME:VERSION@DIGEST`.
 */
export async function pushArtifact(
  layoutDir: string,
  image: Image,
  destination: string,
  version: string,
  options: { readonly env?: NodeJS.ProcessEnv; readonly progress?: (line: string) => void; readonly attach?: (client: RegistryClient) => Promise<void> },
): Promise<string> {
  const checked = pushRepository(destination);
  if (!checked.ok) throw new KilnError(checked.error);
  const ref = checked.value;
  const client = await registryClient(ref, options.env);
  const existing = await client.manifestDigest(version);
  if (existing !== undefined && existing !== image.manifest.digest)
    throw new KilnError(
      diagnostic('registry-tag-exists', `${ref.registry}/${ref.repository}:${version} already holds ${existing}, not this build (${image.manifest.digest}).`, {
        hint: 'A version is built once: release a new version for changed code.',
      }),
      1,
    );
  options.progress?.(`pushing ${ref.registry}/${ref.repository}:${version}`);
  const blobs = [...image.baseLayers, image.layer, image.config];
  await pushImage(client, { manifest: image.manifest, blobs }, (d) => readLayoutBlob(layoutDir, d), version);
  await options.attach?.(client);
  return `${ref.registry}/${ref.repository}:${version}@${image.manifest.digest}`;
}

/** A base image from a registry (`spec` as written in nx.json, for messages), for `platform` when it names an index. */
export async function pullBaseImage(ref: ImageReference, spec: string, platform: Platform, env?: NodeJS.ProcessEnv): Promise<{ image: BaseImage; blob: LayoutBlobSource }> {
  const client = await registryClient(ref, env);
  const read = <T>(what: string, bytes: Uint8Array, problem: (v: unknown) => string | undefined): T => {
    const r = ociJson<T>(bytes, problem);
    if (!r.ok) throw new KilnError(diagnostic('artifact-base-invalid', `base image ${spec}: the registry's ${what} ${r.error}.`), 1);
    return r.value;
  };
  let m = await client.getManifest(ref.digest ?? ref.tag!);
  const parsed = read<{ mediaType?: string; manifests?: unknown }>('manifest', m.data, (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? undefined : 'is not an object'));
  if (parsed.manifests !== undefined || m.mediaType === MEDIA.index || m.mediaType === MEDIA.dockerList) {
    const chosen = selectManifest(read<ImageIndex>('image index', m.data, imageIndexProblem), platform);
    if (!chosen) throw new KilnError(diagnostic('artifact-base-platform', `base image ${spec} has no image for ${platform.os}/${platform.architecture}.`));
    m = await client.getManifest(chosen.digest);
  }
  const manifest = read<Manifest>('manifest', m.data, manifestProblem);
  const config = read<Record<string, unknown>>('image config', await client.getBlob(manifest.config.digest), imageConfigProblem);
  return { image: { manifest, config }, blob: (digest) => client.getBlob(digest) };
}

/**
 * The digest `destination` (`HOST/NAME`) holds under `tag`; undefined when the registry has no such
 * tag. A destination that is not HOST/NAME is an error (exit 2), and so is any answer of the
 * registry other than the tag or its absence (exit 1): neither means "never pushed".
 */
export async function taggedDigest(destination: string, tag: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const checked = pushRepository(destination);
  if (!checked.ok) throw new KilnError(checked.error);
  const client = await registryClient(checked.value, env);
  return client.manifestDigest(tag);
}
