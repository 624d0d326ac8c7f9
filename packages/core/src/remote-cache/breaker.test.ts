import { describe, expect, it } from 'vitest';
import { CircuitBreaker, guarded } from './breaker.js';
import type { RemoteClient, RemoteRead } from './client.js';

const failing = (fatal: boolean) => ({ status: 'failed' as const, problem: { reason: fatal ? 'GET x was refused (401)' : 'GET x failed on the server (503)', fatal } });

function client(answers: RemoteRead[]): RemoteClient & { calls: number } {
  const c = {
    server: 'http://cache.test',
    readOnly: false,
    calls: 0,
    has: async () => ({ status: 'miss' as const }),
    get: async () => {
      c.calls++;
      return answers.shift() ?? { status: 'miss' as const };
    },
    put: async () => ({ status: 'stored' as const }),
  };
  return c;
}

describe('the circuit breaker', () => {
  it('opens after three failures in a row, warning once, at the first', async () => {
    const warnings: string[] = [];
    const inner = client([failing(false), failing(false), failing(false), { status: 'miss' }]);
    const c = guarded(inner, new CircuitBreaker(inner.server, (m) => warnings.push(m)));
    for (let i = 0; i < 3; i++) expect((await c.get('k')).status).toBe('failed');
    // Open: no more requests reach the server.
    expect((await c.get('k')).status).toBe('failed');
    expect((await c.put('k', { size: 0, open: async function* () {} })).status).toBe('failed');
    expect(inner.calls).toBe(3);
    expect(warnings).toEqual([
      'remote cache http://cache.test: GET x failed on the server (503); not used for the rest of this run after 3 failures in a row. Tasks run as usual.',
    ]);
  });

  it('a success in between starts the count again', async () => {
    const inner = client([failing(false), failing(false), { status: 'miss' }, failing(false), failing(false), { status: 'miss' }]);
    const breaker = new CircuitBreaker(inner.server, () => undefined);
    const c = guarded(inner, breaker);
    for (let i = 0; i < 6; i++) await c.get('k');
    expect(breaker.open).toBe(false);
    expect(inner.calls).toBe(6);
  });

  it('a fatal problem (refused credentials) opens it at once', async () => {
    const warnings: string[] = [];
    const inner = client([failing(true)]);
    const breaker = new CircuitBreaker(inner.server, (m) => warnings.push(m));
    const c = guarded(inner, breaker);
    await c.get('k');
    expect(breaker.open).toBe(true);
    expect(warnings).toEqual(['remote cache http://cache.test: GET x was refused (401); not used for the rest of this run. Tasks run as usual.']);
  });

  it('a body that breaks off midway counts like any failure', () => {
    const breaker = new CircuitBreaker('s', () => undefined, 2);
    const c = guarded(client([]), breaker);
    c.failed!({ reason: 'the body broke off', fatal: false });
    c.failed!({ reason: 'the body broke off', fatal: false });
    expect(breaker.open).toBe(true);
  });
});
