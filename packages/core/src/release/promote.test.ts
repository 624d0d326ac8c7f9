import { describe, expect, it } from 'vitest';
import { parseProjectVersion, planPromotion, type ArtifactRecord } from './promote.js';

const artifact = (project: string, version: string, digest: string): ArtifactRecord => ({
  project, version, digest, revision: 'r', inputHash: 'h', path: `dist/artifacts/${project}-${version}`, tarball: 't', layerDigest: 'l', packages: {},
});
const artifacts = [artifact('catalog', '1.0.0', 'sha256:aaa'), artifact('catalog', '1.1.0', 'sha256:bbb'), artifact('user', '2.0.0', 'sha256:ccc')];

describe('promotion', () => {
  it('parses PROJECT@VERSION, scoped names too', () => {
    expect(parseProjectVersion('catalog@1.2.3')).toEqual({ project: 'catalog', version: '1.2.3' });
    expect(parseProjectVersion('@shop/shared@0.1.0')).toEqual({ project: '@shop/shared', version: '0.1.0' });
    expect(parseProjectVersion('catalog')).toBeUndefined();
    expect(parseProjectVersion('catalog@')).toBeUndefined();
  });

  it('records the built digest, keeping other services', () => {
    const r = planPromotion({ project: 'catalog', version: '1.1.0', environment: 'staging', artifacts, order: [], environments: { staging: { user: { version: '2.0.0', digest: 'sha256:ccc' } } } });
    expect(r).toEqual({
      ok: true,
      value: { project: 'catalog', version: '1.1.0', digest: 'sha256:bbb', environment: 'staging', file: { catalog: { version: '1.1.0', digest: 'sha256:bbb' }, user: { version: '2.0.0', digest: 'sha256:ccc' } } },
    });
  });

  it('refuses a version that was never built, naming the built ones', () => {
    const r = planPromotion({ project: 'catalog', version: '9.9.9', environment: 'staging', artifacts, order: [], environments: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('promote-never-built');
      expect(r.error.hint).toContain('1.0.0, 1.1.0');
    }
  });

  it('requires the same digest in the previous environment of the configured order', () => {
    const order = ['staging', 'production'];
    const denied = planPromotion({ project: 'catalog', version: '1.1.0', environment: 'production', artifacts, order, environments: { staging: { catalog: { version: '1.0.0', digest: 'sha256:aaa' } } } });
    expect(denied.ok || denied.error.code).toBe('promote-not-in-previous');
    const allowed = planPromotion({ project: 'catalog', version: '1.1.0', environment: 'production', artifacts, order, environments: { staging: { catalog: { version: '1.1.0', digest: 'sha256:bbb' } } } });
    expect(allowed.ok).toBe(true);
    const unknown = planPromotion({ project: 'catalog', version: '1.1.0', environment: 'prod', artifacts, order, environments: {} });
    expect(unknown.ok || unknown.error.message).toMatch(/not in nx.json kiln.environments .*Did you mean "production"/);
  });
});
