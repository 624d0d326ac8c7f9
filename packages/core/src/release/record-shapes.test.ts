import { describe, expect, it } from 'vitest';
import { parseJson } from '../workspace/index.js';
import { artifactIndexFrom, environmentFileFrom } from './record-shapes.js';

const parsed = (text: string, file = 'f.json') => {
  const r = parseJson(text, file);
  if (!r.ok) throw new Error('test input is not JSON');
  return r.value;
};
const digest = `sha256:${'a'.repeat(64)}`;
const record = { project: 'p', version: '1.0.0', digest, revision: 'r', inputHash: 'h', path: 'dist/p-1.0.0', tarball: 'dist/p-1.0.0.tar.gz', layerDigest: digest, packages: { p: '1.0.0' } };

describe('artifactIndexFrom', () => {
  it('takes the index kiln writes, and reports every problem of one that is not, each where it is', () => {
    expect(artifactIndexFrom(parsed(JSON.stringify({ artifacts: [record] })))).toEqual({ ok: true, value: [record] });
    const r = artifactIndexFrom(parsed(JSON.stringify({ artifacts: [{ project: 'p', version: 1, pushed: 'x' }] }, null, 2)));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((d) => [d.code, d.location?.line, d.message])).toEqual([
      ['artifact-index-invalid', 3, 'artifacts[0] lacks "revision", "inputHash", "path", "tarball", "digest", "layerDigest", "packages", which kiln artifact records for every artifact.'],
      ['artifact-index-invalid', 5, 'artifacts[0].version must be a non-empty string, not 1.'],
      ['artifact-index-invalid', 6, 'artifacts[0].pushed must be a list of image references, not "x".'],
    ]);
    expect(r.error.filter((d) => d.hint !== undefined)).toHaveLength(1);
  });
});

describe('environmentFileFrom', () => {
  it('keeps the other keys of an entry and refuses anything but an object of {version, digest}', () => {
    const file = { a: { version: '1.0.0', digest, note: 'kept' } };
    expect(environmentFileFrom(parsed(JSON.stringify(file)))).toEqual({ ok: true, value: file });
    for (const text of ['[1,2]', '"x"', 'null', '{"a":5}', '{"a":{"version":"1"}}', `{"a":{"version":"","digest":"${digest}"}}`]) {
      const r = environmentFileFrom(parsed(text, 'environments/e.json'));
      expect([text, r.ok, !r.ok && r.error[0]!.code, !r.ok && r.error[0]!.location?.file]).toEqual([text, false, 'environment-invalid', 'environments/e.json']);
    }
  });
});
