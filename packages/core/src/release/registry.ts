/**
 * Edge: the OCI distribution API (https://github.com/opencontainers/distribution-spec) over
 * fetch. Push: HEAD each blob, upload the missing ones (POST then a monolithic PUT), then PUT
 * the manifest under its tag. Pull: manifests and blobs, digests checked. Auth: anonymous,
 * then Basic or a Bearer token from the realm a 401 names, with credentials from the
 * environment or ~/.docker/config.json. Credentials never appear in messages.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { diagnostic, KilnError } from '../model/index.js';
import { MEDIA, ociDigest, type Manifest } from './oci.js';

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

export interface Credentials {
  readonly username?: string;
  readonly password?: string;
  /** An identity/registry token used as a Bearer token or refresh token. */
  readonly token?: string;
}

/**
 * Credentials for `registry`: KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD (or KILN_REGISTRY_TOKEN)
 * first, then `auths` in $DOCKER_CONFIG/config.json (default ~/.docker/config.json).
 */
export async function findCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (env.KILN_REGISTRY_TOKEN) return { token: env.KILN_REGISTRY_TOKEN };
  if (env.KILN_REGISTRY_USERNAME && env.KILN_REGISTRY_PASSWORD) return { username: env.KILN_REGISTRY_USERNAME, password: env.KILN_REGISTRY_PASSWORD };
  const file = join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
  let config: {
    auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
    credsStore?: string;
    credHelpers?: Record<string, string>;
  };
  try {
    config = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const fromHelper = await credentialHelper(helper, registry, env);
    if (fromHelper) return fromHelper;
  }
  const auths = config.auths ?? {};
  const key = Object.keys(auths).find((k) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry);
  const entry = key === undefined ? undefined : auths[key];
  if (!entry) return undefined;
  if (entry.registrytoken) return { token: entry.registrytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password };
  return undefined;
}

/**
 * Asks `docker-credential-HELPER get` (the Docker credential-helper protocol: the server on
 * stdin, `{"Username","Secret"}` on stdout). A helper that is missing or knows nothing gives
 * undefined; its output is never shown.
 */
function credentialHelper(helper: string, registry: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { env, timeout: 30_000 }, (error, stdout) => {
      if (error) return resolve(undefined);
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) return resolve(undefined);
        resolve(out.Username === '<token>' ? { token: out.Secret } : { username: out.Username ?? '', password: out.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.end(registry);
  });
}

/** A client for one repository on one registry. */
export class RegistryClient {
  private authorization: string | undefined;
  private readonly base: string;

  constructor(
    private readonly ref: ImageReference,
    private readonly credentials: Credentials | undefined,
    options: { insecure?: boolean } = {},
  ) {
    const host = ref.registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const plain = options.insecure || host === 'localhost' || host === '::1' || /^127\./.test(host);
    this.base = `${plain ? 'http' : 'https'}://${ref.registry}/v2/${ref.repository}`;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const r = await this.request('HEAD', `/blobs/${digest}`);
    if (r.status === 200) return true;
    if (r.status === 404) return false;
    throw this.failure('check blob', r);
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
    const r = await this.request('PUT', `/manifests/${reference}`, { body: data, headers: { 'content-type': mediaType } });
    if (r.status !== 201 && r.status !== 200) throw this.failure(`put manifest ${reference}`, r);
    return r.headers.get('docker-content-digest') ?? ociDigest(data);
  }

  async getManifest(reference: string): Promise<{ data: Uint8Array; mediaType: string; digest: string }> {
    const accept = [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(', ');
    const r = await this.request('GET', `/manifests/${reference}`, { headers: { accept } });
    if (r.status !== 200) throw this.failure(`get manifest ${reference}`, r);
    const data = new Uint8Array(await r.arrayBuffer());
    const digest = ociDigest(data);
    if (reference.startsWith('sha256:') && digest !== reference) throw new KilnError(diagnostic('registry-digest-mismatch', `manifest ${reference} from ${this.ref.registry} has digest ${digest}.`));
    return { data, mediaType: r.headers.get('content-type') ?? MEDIA.manifest, digest };
  }

  async getBlob(digest: string): Promise<Uint8Array> {
    const r = await this.request('GET', `/blobs/${digest}`);
    if (r.status !== 200) throw this.failure(`get blob ${digest}`, r);
    const data = new Uint8Array(await r.arrayBuffer());
    if (ociDigest(data) !== digest) throw new KilnError(diagnostic('registry-digest-mismatch', `blob ${digest} from ${this.ref.registry} does not match its digest.`));
    return data;
  }

  private async request(method: string, pathOrUrl: string, init: { body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${this.base}${pathOrUrl}`;
    const send = () =>
      fetch(url, {
        method,
        redirect: 'follow',
        headers: { ...init.headers, ...(this.authorization && { authorization: this.authorization }) },
        ...(init.body && { body: init.body }),
      }).catch((e: Error) => {
        throw new KilnError(diagnostic('registry-unreachable', `cannot reach registry ${this.ref.registry}: ${(e.cause as Error | undefined)?.message ?? e.message}`), 1);
      });
    let r = await send();
    if (r.status === 401 && (await this.authenticate(r.headers.get('www-authenticate')))) r = await send();
    return r;
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
    const r = await fetch(url, { headers });
    if (r.status !== 200) throw new KilnError(diagnostic('registry-auth-failed', `registry ${this.ref.registry} refused the credentials (token service answered ${r.status}).`, { hint: 'Check KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD or `docker login`.' }), 1);
    const body = (await r.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) return false;
    this.authorization = `Bearer ${token}`;
    return true;
  }

  private failure(what: string, r: Response): KilnError {
    const hint = r.status === 401 || r.status === 403 ? 'Log in (docker login, or KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD) with push rights.' : undefined;
    return new KilnError(diagnostic('registry-request-failed', `registry ${this.ref.registry}: ${what} failed with HTTP ${r.status}.`, hint ? { hint } : {}), 1);
  }
}

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

/** The manifest (and its parsed form) a registry image reference names, for use as a base image. */
export function parseManifest(data: Uint8Array): Manifest {
  return JSON.parse(new TextDecoder().decode(data)) as Manifest;
}
