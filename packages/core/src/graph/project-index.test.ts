import { describe, expect, it } from 'vitest';
import { normalizeRoot, ProjectIndex } from './index.js';

const projects = [
  { name: 'root', root: '' },
  { name: 'connection', root: 'services/connection' },
  { name: 'nested', root: 'services/connection/plugins' },
  { name: 'conn-ext', root: 'services/connection-ext' },
];

describe('the file-to-project index', () => {
  it('takes the deepest root on whole segments; the root project owns the rest', () => {
    const index = new ProjectIndex(projects);
    expect(index.projectOf('services/connection/src/pool.ts')).toBe('connection');
    expect(index.projectOf('services/connection-ext/a.ts')).toBe('conn-ext');
    expect(index.projectOf('services/connection/plugins/x/y.ts')).toBe('nested');
    expect(index.projectOf('README.md')).toBe('root');
    expect(new ProjectIndex(projects.slice(1)).projectOf('README.md')).toBeUndefined();
  });

  it('projectOf takes a directory as its own root; projectOfFile looks only at the directories', () => {
    const index = new ProjectIndex(projects);
    expect(index.projectOf('services/connection')).toBe('connection');
    expect(index.projectOfFile('services/connection')).toBe('root');
    expect(index.projectOfFile('services/connection/plugins/a.ts')).toBe('nested');
  });

  it('normalises roots one way: "." and "" are the workspace root, no "./", no trailing "/"', () => {
    expect(['', '.', './', './libs/a', 'libs/a/', 'libs\\a', '.config/x'].map(normalizeRoot)).toEqual(['', '', '', 'libs/a', 'libs/a', 'libs/a', '.config/x']);
    const index = new ProjectIndex([
      { name: 'ws', root: '.' },
      { name: 'a', root: './libs/a/' },
    ]);
    expect(index.projectOf('libs/a/x.ts')).toBe('a');
    expect(index.projectOfFile('package.json')).toBe('ws');
  });

  it('two projects at one root: the first by name owns it, whatever the order given', () => {
    const a = { name: 'a', root: 'libs/x' };
    const b = { name: 'b', root: 'libs/x/' };
    expect(new ProjectIndex([a, b]).projectOf('libs/x/f.ts')).toBe('a');
    expect(new ProjectIndex([b, a]).projectOf('libs/x/f.ts')).toBe('a');
  });
});
