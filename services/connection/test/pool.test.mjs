import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool, databaseUrl } from '../dist/index.js';

test('hands out every connection, then queues until one is released', async () => {
  const pool = new Pool(2, 'db://test');
  const a = await pool.acquire();
  const b = await pool.acquire();
  assert.equal(pool.available, 0);
  let third;
  const pending = pool.acquire().then((c) => (third = c));
  assert.equal(third, undefined);
  pool.release(a);
  await pending;
  assert.equal(third.id, a.id);
  pool.release(b);
  assert.equal(pool.available, 1);
});

test('with() releases the connection even when the work throws', async () => {
  const pool = new Pool(1, 'db://test');
  await assert.rejects(pool.with(() => { throw new Error('boom'); }), /boom/);
  assert.equal(pool.available, 1);
  assert.equal(await pool.with((c) => c.query('select 1')), 'db://test#1: select 1');
});

test('rejects a bad size and a missing URL', () => {
  assert.throws(() => new Pool(0, 'x'), RangeError);
  assert.throws(() => databaseUrl({}, 'invoice'), /INVOICE_DATABASE_URL/);
  assert.equal(databaseUrl({ INVOICE_DATABASE_URL: 'db://i' }, 'invoice'), 'db://i');
});
