import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '@sample/connection';
import { total, saveInvoice } from '../dist/index.js';

test('totals lines and rounds tax once per invoice', () => {
  assert.equal(total([{ description: 'a', quantity: 3, unitCents: 333 }], 0.2), 999 + 200);
  assert.equal(total([], 0.2), 0);
});

test('stores the invoice through the shared pool', async () => {
  const pool = new Pool(1, 'db://invoice');
  const sql = await saveInvoice(pool, 'acme', [{ description: 'x', quantity: 1, unitCents: 1000 }], 0.1);
  assert.match(sql, /^db:\/\/invoice#1: insert into invoices .*1100\)$/);
  assert.equal(pool.available, 1);
});
