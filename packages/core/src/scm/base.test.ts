import { describe, expect, it } from 'vitest';
import { chooseBaseRef } from './index.js';

describe('the base ref', () => {
  it('goes --base, KILN_BASE, nx.json defaultBase, nx.json affected.defaultBase, main', () => {
    const nx = { defaultBase: 'develop', affected: { defaultBase: 'trunk' } };
    expect(chooseBaseRef('feature', { KILN_BASE: 'ci' }, nx)).toBe('feature');
    expect(chooseBaseRef(undefined, { KILN_BASE: 'ci' }, nx)).toBe('ci');
    expect(chooseBaseRef(undefined, {}, nx)).toBe('develop');
    expect(chooseBaseRef(undefined, {}, { affected: { defaultBase: 'trunk' } })).toBe('trunk');
    expect(chooseBaseRef(undefined, {}, {})).toBe('main');
    expect(chooseBaseRef(undefined, {}, undefined)).toBe('main');
  });

  it('takes empty or mistyped values as unset', () => {
    expect(chooseBaseRef('', { KILN_BASE: '' }, { defaultBase: '', affected: { defaultBase: 'trunk' } })).toBe('main');
    expect(chooseBaseRef(undefined, {}, { defaultBase: 3, affected: null })).toBe('main');
    expect(chooseBaseRef(undefined, {}, { affected: { defaultBase: ['trunk'] } })).toBe('main');
  });
});
