/**
 * HTTP for the remote clients: node:http(s) with kept-alive connections (a restore asks hundreds
 * of times; node's fetch costs more per request and to load), an idle timeout (no answer, or no
 * next chunk, within `timeoutMs` aborts the request: a large body may take long, a stalled one may
 * not), bodies streamed both ways, and failures said in one line that names the server and the
 * request, never the token (it travels only in the Authorization header).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

  /** Whether this client sends credentials (a refusal then means they are not accepted, not missing). */
  protected get sendsCredentials(): boolean {
    return this.settings.token !== undefined || this.settings.basicAuth !== undefined;
  }

  /** A GET whose body is wanted: the answer when the server has it (200); else a miss (404) or a failure naming `what`. */
  protected async getBody(url: string, what: string): Promise<BodyAnswer | { readonly status: 'miss' } | { readonly status: 'failed'; readonly problem: RemoteProblem }> {
    const a = await request(this.http, 'GET', url);
    if (!a.ok) return { status: 'failed', problem: a.problem };
    if (a.res.status === 200) return a;
    a.done();
    return a.res.status === 404 ? { status: 'miss' } : this.statusFailure(a.res, what);
  }

  /** A status the request did not want, as the failure it is (naming `what`). */
  protected statusFailure(res: HttpResponse, what: string): { readonly status: 'failed'; readonly problem: RemoteProblem } {
    return { status: 'failed', problem: statusProblem(res, what, this.sendsCredentials) };
  }
}

/** What the clients look at in an answer. */
export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
}

export type HttpAnswer =
  { readonly ok: true; readonly res: HttpResponse; readonly body: AsyncIterable<Uint8Array>; done(): void } | { readonly ok: false; readonly problem: RemoteProblem };

/** An answer whose headers came: its body is read through `body` or dropped with `done()`. */
export type BodyAnswer = Extract<HttpAnswer, { ok: true }>;

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

/** Connections kept open between requests, per protocol (idle ones never keep the process alive). */
const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 16 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };

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
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, problem: { reason: `${method}: unreachable (ERR_INVALID_URL)`, fatal: true } };
  }
  const what = `${method} ${target.pathname.replace(/^.*\/((?:v8\/artifacts|ac|cas)\/[0-9a-f]{12})[0-9a-f]{52}$/, '$1')}`;
  const agent = target.protocol === 'https:' ? agents['https:'] : target.protocol === 'http:' ? agents['http:'] : undefined;
  if (agent === undefined) return { ok: false, problem: { reason: `${what}: unreachable (not an http(s) URL)`, fatal: true } };
  const headers: Record<string, string> = { ...init.headers, ...(o.authorization !== undefined && { authorization: o.authorization }) };
  return new Promise<HttpAnswer>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let res: IncomingMessage | undefined;
    let answered = false;
    const fail = (e: Error): void => {
      clearTimeout(timer);
      if (!answered) {
        answered = true;
        resolve({ ok: false, problem: networkProblem(e, what) });
      }
    };
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers, agent });
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const e = new RemoteBodyError(`no answer within ${o.timeoutMs} ms`);
        req.destroy(e);
        res?.destroy(e);
      }, o.timeoutMs);
    };
    req.on('error', fail);
    req.on('response', (r) => {
      res = r;
      clearTimeout(timer);
      answered = true;
      const response: HttpResponse = {
        status: r.statusCode ?? 0,
        statusText: r.statusMessage ?? '',
        ok: (r.statusCode ?? 0) >= 200 && (r.statusCode ?? 0) < 300,
        headers: { get: (name) => headerValue(r.headers[name.toLowerCase()]) },
      };
      async function* body(): AsyncGenerator<Uint8Array> {
        arm();
        try {
          for await (const chunk of r) {
            arm();
            yield chunk as Uint8Array;
          }
          // A connection that closed before the announced length: node ends the stream quietly.
          if (!r.complete) throw new Error('the connection closed early');
        } catch (e) {
          throw new RemoteBodyError(`${what}: the body broke off (${problemText(e)})`);
        } finally {
          clearTimeout(timer);
          if (!r.complete) r.destroy();
        }
      }
      resolve({
        ok: true,
        res: response,
        body: body(),
        done: () => {
          clearTimeout(timer);
          // A small body (an error page) is read away so the connection can be used again.
          r.resume();
        },
      });
    });
    arm();
    if (init.body === undefined || init.body instanceof Uint8Array) req.end(init.body);
    else void upload(req, init.body, arm);
  });
}

/** Streams an upload body, re-arming the idle timeout as it is read; a failing body ends the request. */
async function upload(req: ReturnType<typeof httpRequest>, body: AsyncIterable<Uint8Array>, arm: () => void): Promise<void> {
  try {
    for await (const chunk of body) {
      arm();
      if (!req.write(chunk)) await new Promise<void>((r) => req.once('drain', r).once('close', r));
      if (req.destroyed) return;
    }
    req.end();
  } catch (e) {
    req.destroy(e as Error);
  }
}

function headerValue(v: string | string[] | undefined): string | null {
  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
}

function problemText(e: unknown): string {
  if (e instanceof RemoteBodyError) return e.message;
  const err = e as { code?: string; message?: string };
  return err.code ?? err.message ?? String(e);
}

function networkProblem(e: unknown, what: string): RemoteProblem {
  if (e instanceof RemoteBodyError) return { reason: `${what}: ${e.message}`, fatal: false };
  const code = (e as { code?: string }).code;
  // Refused: nothing listens (a server stopped mid-run); trying each task again would only slow the run.
  if (code === 'ECONNREFUSED') return { reason: `${what}: connection refused (is the server running?)`, fatal: true };
  return { reason: `${what}: unreachable (${problemText(e)})`, fatal: code !== undefined && FATAL_CODES.has(code) };
}

/** An answer that is neither the object nor "not there": refused credentials are fatal, 5xx and the rest count toward the breaker. */
export function statusProblem(res: HttpResponse, what: string, hasToken: boolean): RemoteProblem {
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
