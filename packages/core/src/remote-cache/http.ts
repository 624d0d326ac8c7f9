/**
 * HTTP for the remote clients: node's fetch with an idle timeout (no answer, or no next chunk,
 * within `timeoutMs` aborts the request: a large body may take long, a stalled one may not),
 * bodies streamed both ways, and failures said in one line that names the server and the
 * request, never the token (it travels only in the Authorization header).
 */
import { RemoteBodyError, type RemoteProblem } from './client.js';
import type { RemoteCacheSettings } from './settings.js';

export interface HttpOptions {
  readonly server: string;
  readonly timeoutMs: number;
  /** The Authorization header's value, if any. */
  readonly authorization?: string;
}

/** The request options of a client for `settings`: a Bearer token, else Basic auth from the URL's credentials. */
export function httpOptions(settings: RemoteCacheSettings): HttpOptions {
  const authorization =
    settings.token !== undefined ? `Bearer ${settings.token}` : settings.basicAuth !== undefined ? `Basic ${Buffer.from(settings.basicAuth).toString('base64')}` : undefined;
  return { server: settings.url, timeoutMs: settings.timeoutMs, ...(authorization !== undefined && { authorization }) };
}

/** What both protocols' clients hold: the server as messages name it, read-only mode, the request options. */
export abstract class HttpRemote {
  readonly server: string;
  readonly readOnly: boolean;
  protected readonly http: HttpOptions;

  constructor(protected readonly settings: RemoteCacheSettings) {
    this.server = settings.url;
    this.readOnly = settings.readOnly;
    this.http = httpOptions(settings);
  }
}

export type HttpAnswer =
  { readonly ok: true; readonly res: Response; readonly body: AsyncIterable<Uint8Array>; done(): void } | { readonly ok: false; readonly problem: RemoteProblem };

/** Network errors that will not go away within one run. */
const FATAL_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_INVALID_URL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Sends one request. `ok` holds the response once its headers came; its body must be read
 * through `body` (which keeps the idle timeout running and throws `RemoteBodyError`) or
 * dropped with `done()`.
 */
export async function request(
  o: HttpOptions,
  method: string,
  url: string,
  init: { headers?: Record<string, string>; body?: AsyncIterable<Uint8Array> | Uint8Array } = {},
): Promise<HttpAnswer> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new RemoteBodyError(`no answer within ${o.timeoutMs} ms`)), o.timeoutMs);
  };
  const headers: Record<string, string> = { ...init.headers, ...(o.authorization !== undefined && { authorization: o.authorization }) };
  const what = `${method} ${new URL(url).pathname.replace(/^.*\/((?:v8\/artifacts|ac|cas)\/[0-9a-f]{12})[0-9a-f]{52}$/, '$1')}`;
  arm();
  let res: Response;
  try {
    const body = init.body === undefined || init.body instanceof Uint8Array ? init.body : timedUpload(init.body, arm);
    res = await fetch(url, { method, headers, signal: abort.signal, ...(body !== undefined && { body: body as never, duplex: 'half' }) } as RequestInit);
  } catch (e) {
    clearTimeout(timer);
    return { ok: false, problem: networkProblem(e, abort.signal, what) };
  }
  const done = (): void => {
    clearTimeout(timer);
    if (!res.bodyUsed) res.body?.cancel().catch(() => undefined);
  };
  async function* body(): AsyncGenerator<Uint8Array> {
    arm();
    try {
      for await (const chunk of res.body ?? []) {
        arm();
        yield chunk as Uint8Array;
      }
    } catch (e) {
      throw new RemoteBodyError(`${what}: the body broke off (${problemText(e, abort.signal)})`);
    } finally {
      clearTimeout(timer);
    }
  }
  clearTimeout(timer);
  return { ok: true, res, body: body(), done };
}

/** Re-arms the idle timeout as the upload body is read. */
async function* timedUpload(body: AsyncIterable<Uint8Array>, arm: () => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    arm();
    yield chunk;
  }
}

function problemText(e: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof RemoteBodyError) return signal.reason.message;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

function networkProblem(e: unknown, signal: AbortSignal, what: string): RemoteProblem {
  const code = (e as { cause?: { code?: string } }).cause?.code;
  if (signal.aborted) return { reason: `${what}: ${problemText(e, signal)}`, fatal: false };
  // Refused: nothing listens (a server stopped mid-run); trying each task again would only slow the run.
  if (code === 'ECONNREFUSED') return { reason: `${what}: connection refused (is the server running?)`, fatal: true };
  return { reason: `${what}: unreachable (${problemText(e, signal)})`, fatal: code !== undefined && FATAL_CODES.has(code) };
}

/** An answer that is neither the object nor "not there": refused credentials are fatal, 5xx and the rest count toward the breaker. */
export function statusProblem(res: Response, what: string, hasToken: boolean): RemoteProblem {
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.status === 401 || res.status === 403)
    return {
      reason: `${what} was refused (${status}): ${hasToken ? 'the token is not accepted, or lacks this right' : 'the server wants a token: set KILN_REMOTE_CACHE_TOKEN (or TURBO_TOKEN)'}`,
      fatal: true,
    };
  if (res.status >= 500) return { reason: `${what} failed on the server (${status})`, fatal: false };
  return { reason: `${what} got an unexpected answer (${status})`, fatal: false };
}

/** Reads a small body whole (Bazel's action results), refusing one past `max` bytes. */
export async function readSmall(body: AsyncIterable<Uint8Array>, max: number): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw new RemoteBodyError(`the answer is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
