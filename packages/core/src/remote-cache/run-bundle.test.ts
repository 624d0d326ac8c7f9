import { describe, expect, it } from 'vitest';
import { encodeRunBundle } from './bundle.js';
import { BUNDLE_PLAN_VERSION, type BundlePlan } from './bundle-plan.js';
import type { RemoteClient } from './client.js';
import { fetchFirstRunBundle } from './run-bundle.js';

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

describe('fetchFirstRunBundle', () => {
  it("asks for HEAD's guessed bundle before git answers, and uses it once git confirms the guess", async () => {
    const client = server({ [h('1')]: bundle('head') });
    const git = gitAnswer([h('1'), h('2')]);
    const plans: (BundlePlan | undefined)[] = [];
    const found = fetchFirstRunBundle(
      client,
      git.promise,
      () => undefined,
      (p) => plans.push(p),
      h('1'),
    );
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
    const git = gitAnswer([h('1')]);
    const plans: (BundlePlan | undefined)[] = [];
    const found = fetchFirstRunBundle(
      client,
      git.promise,
      () => undefined,
      (p) => plans.push(p),
      h('9'),
    );
    git.answer();
    const got = await found;
    expect(got?.own).toBe(true);
    expect(plans).toEqual([plan('head')]);
    expect(Buffer.from(got!.entries.get(h('a'))!).toString()).toBe('head');
    expect(client.asked).toEqual([h('9'), h('1')]);
  });

  it("goes on to the parent's bundle when HEAD has none, with no plan for HEAD", async () => {
    const client = server({ [h('2')]: bundle('parent') });
    const git = gitAnswer([h('1'), h('2')]);
    const plans: (BundlePlan | undefined)[] = [];
    const found = fetchFirstRunBundle(
      client,
      git.promise,
      () => undefined,
      (p) => plans.push(p),
      h('1'),
    );
    git.answer();
    const got = await found;
    expect(got?.own).toBe(false);
    expect(plans).toEqual([undefined]);
    expect(client.asked).toEqual([h('1'), h('2')]);
  });
});
