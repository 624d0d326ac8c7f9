import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pool } from '@sample/connection';
import { annualTax, pay } from '../dist/index.js';

const bands = [
  { upTo: 1_000_000, rate: 0 },
  { upTo: 5_000_000, rate: 0.2 },
  { upTo: Infinity, rate: 0.4 },
];

test('taxes each band at its own rate', () => {
  assert.equal(annualTax(500_000, bands), 0);
  assert.equal(annualTax(3_000_000, bands), 400_000);
  assert.equal(annualTax(6_000_000, bands), 800_000 + 400_000);
});

test('pays net through the shared pool', async () => {
  const sql = await pay(new Pool(1, 'db://payroll'), 'ada', 3_000_000, bands);
  assert.match(sql, /2600000\)$/);
});
