import { describe, expect, it } from 'vitest';
import { declaredOutputs } from './outputs.js';

const task = (outputs: string[], options: Record<string, unknown> = {}, root = 'libs/a') => ({
  project: { name: 'a', root },
  target: 'build',
  config: { outputs, options },
});

describe('declaredOutputs', () => {
  it('fills every placeholder as expandOutputs does', () => {
    expect(declaredOutputs(task(['{projectRoot}/dist', '{workspaceRoot}/dist/{projectName}', '{options.outputPath}/**'], { outputPath: 'out/a' }))).toEqual([
      'libs/a/dist',
      'dist/a',
      'out/a/**',
    ]);
  });

  it('leaves out negated outputs, unset options and paths outside the workspace', () => {
    expect(declaredOutputs(task(['!{projectRoot}/dist/keep', '{options.missing}/x', '{workspaceRoot}/../elsewhere', '{projectRoot}/coverage']))).toEqual(['libs/a/coverage']);
  });

  it('gives a root project its outputs at the top', () => {
    expect(declaredOutputs(task(['{projectRoot}/dist'], {}, ''))).toEqual(['dist']);
  });
});
