import { describe, expect, it } from 'vitest';
import { outputsFolder, type ManifestFile } from './entry.js';

const files = (...paths: string[]): ManifestFile[] => paths.map((path) => ({ path, size: 0, mode: 0o644, oid: '' }));

describe('the folder a staged entry is renamed into place as (outputsFolder)', () => {
  it('is the deepest folder that holds every output', () => {
    expect(outputsFolder(files('packages/web/dist/a.js', 'packages/web/dist/sub/b.js'))).toBe('packages/web/dist');
    expect(outputsFolder(files('packages/web/dist/sub/b.js', 'packages/web/dist/a.js'))).toBe('packages/web/dist');
    expect(outputsFolder(files('packages/web/dist/a.js'))).toBe('packages/web/dist');
  });

  it('goes up to the folder two outputs share, never to a sibling with the same prefix', () => {
    expect(outputsFolder(files('packages/web/dist/a.js', 'packages/web/coverage/c.json'))).toBe('packages/web');
    expect(outputsFolder(files('packages/web/dist/a.js', 'packages/web/dist2/a.js'))).toBe('packages/web');
    expect(outputsFolder(files('packages/web/dist/a.js', 'packages/webapp/dist/a.js'))).toBe('packages');
  });

  it('is the root for an output at the root, for outputs with nothing in common, and for none', () => {
    expect(outputsFolder(files('out.txt', 'packages/web/dist/a.js'))).toBe('');
    expect(outputsFolder(files('a/x', 'b/y'))).toBe('');
    expect(outputsFolder([])).toBe('');
  });
});
