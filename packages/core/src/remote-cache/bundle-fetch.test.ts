import { describe, expect, it } from 'vitest';
import { encodeRunBundle } from './bundle.js';
import { BUNDLE_PLAN_VERSION, type BundlePlan } from './bundle-plan.js';
import type { RemoteClient } from './client.js';
import { fetchFirstRunBundle, fetchRunBundle } from './bundle-fetch.js';

const h = (c: string) => c.repeat(64);
const plan = (task: string): BundlePlan => ({ version: BUNDLE_PLAN_VERSION, engine: h('e'), roots: h('f'), env: {}, tasks: [[task, h('a')]] });
const bundle = (task: string) => encodeRunBundle([{ hash: h('a'), body: Buffer.from(task) }], plan(task));

/** A server holding bundles by key, in memory; it records the keys asked for, in order. */
function server(bundles: Record<string, Buffer>): RemoteClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    server: 'http://cache.test',
    readOnly: true,
    asked,
    has: async () => ({ status: 'miss' }),
    get: async (key) => {
      asked.push(key);
      const body = bundles[key];
      if (body === undefined) return { status: 'miss' };
      return {
        status: 'found',
        size: body.length,
        verdict: () => undefined,
        body: (async function* () {
          yield body;
        })(),
      };
    },
    put: async () => ({ status: 'skipped', reason: 'read-only' }),
  };
}

/** Keys that git gives only when `answer()` is called. */
function gitAnswer(keys: string[]) {
  let answer: () => void = () => undefined;
  const promise = new Promise<readonly string[]>((resolve) => (answer = () => resolve(keys)));
  return { promise, answer: () => answer() };
}

describe('fetchRunBundle', () => {
  const two = encodeRunBundle(
    [
      { hash: h('a'), body: Buffer.from('first') },
      { hash: h('b'), body: Buffer.from('second') },
    ],
    plan('two'),
  );
  const cut = two.length - 3;

  /** A server whose body comes in two parts, the second once `go()` is called; its verdict as given. */
  function slow(verdictIsLength: boolean, verdict: string | undefined = undefined) {
    let go: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (go = resolve));
    const client: RemoteClient = {
      server: 'http://cache.test',
      readOnly: true,
      has: async () => ({ status: 'miss' }),
      get: async () => ({
        status: 'found',
        size: two.length,
        verdictIsLength,
        verdict: () => verdict,
        body: (async function* () {
          yield two.subarray(0, cut);
          await gate;
          yield two.subarray(cut);
        })(),
      }),
      put: async () => ({ status: 'skipped', reason: 'read-only' }),
    };
    return { client, go: () => go() };
  }
  const text = async (p: Promise<Uint8Array | undefined>) => {
    const b = await p;
    return b && Buffer.from(b).toString();
  };

  it('hands out each entry as soon as it came when the verdict checks only the length', async () => {
    const s = slow(true);
    const fetch = fetchRunBundle(s.client, h('1'), () => undefined);
    const header = await fetch.header;
    expect(header?.plan).toEqual(plan('two'));
    expect(await text(header!.entries.get(h('a')))).toBe('first');
    expect(await text(header!.entries.get(h('9')))).toBeUndefined();
    const second = text(header!.entries.get(h('b')));
    s.go();
    expect(await second).toBe('second');
    expect((await fetch.done).status).toBe('found');
  });

  it('hands out nothing before a verdict over the whole body, and nothing at all when it refuses', async () => {
    for (const verdict of [undefined, 'its signature does not match']) {
      const s = slow(false, verdict);
      const warnings: string[] = [];
      const fetch = fetchRunBundle(s.client, h('1'), (m) => warnings.push(m));
      const header = await fetch.header;
      let first: string | undefined | 'waiting' = 'waiting';
      void text(header!.entries.get(h('a'))).then((t) => (first = t));
      await new Promise((resolve) => setImmediate(resolve));
      expect(first).toBe('waiting');
      s.go();
      expect((await fetch.done).status).toBe(verdict === undefined ? 'found' : 'unusable');
      await new Promise((resolve) => setImmediate(resolve));
      expect(first).toBe(verdict === undefined ? 'first' : undefined);
      expect(warnings.length).toBe(verdict === undefined ? 0 : 1);
    }
  });
});

/** `fetchFirstRunBundle` against `client`, git's `keys` given once `git.answer()` is called, with the plans it tells of HEAD's own bundle. */
function fetchFirst(client: RemoteClient, keys: string[], guess: string) {
  const git = gitAnswer(keys);
  const plans: (BundlePlan | undefined)[] = [];
  const found = fetchFirstRunBundle(
    client,
    git.promise,
    () => undefined,
    (p) => plans.push(p),
    guess,
  );
  return { found, plans, git };
}

describe('fetchFirstRunBundle', () => {
  it("asks for HEAD's guessed bundle before git answers, and uses it once git confirms the guess", async () => {
    const client = server({ [h('1')]: bundle('head') });
    const { found, plans, git } = fetchFirst(client, [h('1'), h('2')], h('1'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.asked).toEqual([h('1')]);
    expect(plans).toEqual([]);
    git.answer();
    const got = await found;
    expect(got?.own).toBe(true);
    expect(plans).toEqual([plan('head')]);
    expect(client.asked).toEqual([h('1')]);
  });

  it('drops a guess git does not confirm: the plan and the bundle are those of the commit git names', async () => {
    const client = server({ [h('9')]: bundle('guessed'), [h('1')]: bundle('head') });
    const { found, plans, git } = fetchFirst(client, [h('1')], h('9'));
    git.answer();
    const got = await found;
    expect(got?.own).toBe(true);
    expect(plans).toEqual([plan('head')]);
    expect(Buffer.from(got!.entries.get(h('a'))!).toString()).toBe('head');
    expect(client.asked).toEqual([h('9'), h('1')]);
  });

  it("goes on to the parent's bundle when HEAD has none, with no plan for HEAD", async () => {
    const client = server({ [h('2')]: bundle('parent') });
    const { found, plans, git } = fetchFirst(client, [h('1'), h('2')], h('1'));
    git.answer();
    const got = await found;
    expect(got?.own).toBe(false);
    expect(plans).toEqual([undefined]);
    expect(client.asked).toEqual([h('1'), h('2')]);
  });
});
