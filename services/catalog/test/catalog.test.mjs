import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Catalog } from '../dist/index.js';

test('finds products by sku and by name', () => {
  const c = new Catalog();
  c.add({ sku: 'B-2', name: 'Blue kettle', priceCents: 2999 });
  c.add({ sku: 'A-1', name: 'Red kettle', priceCents: 2599 });
  assert.equal(c.get('A-1').name, 'Red kettle');
  assert.deepEqual(c.search('KETTLE').map((p) => p.sku), ['A-1', 'B-2']);
});

test('rejects duplicates and negative prices', () => {
  const c = new Catalog();
  c.add({ sku: 'A-1', name: 'x', priceCents: 1 });
  assert.throws(() => c.add({ sku: 'A-1', name: 'y', priceCents: 1 }), /duplicate/);
  assert.throws(() => c.add({ sku: 'B', name: 'z', priceCents: -1 }), RangeError);
});
