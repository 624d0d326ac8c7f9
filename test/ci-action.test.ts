/**
 * The composite action (.github/actions/kiln): its entry script run for real, as the runner runs
 * it, with GITHUB_* variables against a clone whose pull request breaks one build and whose
 * CODEOWNERS has a line that matches nothing. Checks the annotations on stdout, the job summary
 * and the exit code; and that action.yml hands every input it declares to the script.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRepo, git, kilnBin, repoRoot, start, tempDir, type TempRepo } from './helpers/repo.js';

const ACTION = join(repoRoot, '.github/actions/kiln');

describe('the kiln composite action', () => {
  let main: TempRepo;
  let pr: string;
  beforeAll(() => {
    main = createRepo({
      'package.json': { name: 'root', private: true, workspaces: ['packages/*'] },
      'nx.json': { targetDefaults: { build: { dependsOn: ['^build'], cache: true, outputs: ['{projectRoot}/dist'] } } },
      '.gitignore': 'dist\n.kiln\n',
      CODEOWNERS: '* @org/core\n/nothing-here/ @org/ghosts\n/packages/b/ @org/bees\n',
      'packages/a/package.json': { name: 'a', version: '1.0.0', scripts: { build: 'mkdir -p dist && echo built a > dist/out.txt' } },
      'packages/b/package.json': { name: 'b', version: '1.0.0', dependencies: { a: '*' }, scripts: { build: 'echo compiling b && echo "b.ts(3,1): error: boom" && exit 3' } },
      'packages/b/src/b.ts': 'export const b = 1;\n',
      'packages/c/package.json': { name: 'c', version: '1.0.0', scripts: { build: 'echo c' } },
    });
    pr = join(tempDir(), 'pr');
    git(main.dir, ['clone', '-q', main.dir, pr]);
    git(pr, ['checkout', '-q', '-b', 'feature']);
    writeFileSync(join(pr, 'packages/b/src/b.ts'), 'export const b = 2;\n');
    git(pr, ['commit', '-qam', 'change b']);
  });
  afterAll(() => main.cleanup());

  const action = (extra: NodeJS.ProcessEnv = {}) => {
    const summary = join(tempDir(), 'summary.md');
    writeFileSync(summary, '');
    const env = {
      GITHUB_ACTIONS: 'true',
      GITHUB_BASE_REF: 'main',
      GITHUB_STEP_SUMMARY: summary,
      INPUT_TARGET: 'build',
      INPUT_KILN_COMMAND: `${process.execPath} ${kilnBin}`,
      ...extra,
    };
    return start(process.execPath, [join(ACTION, 'run.mjs')], { cwd: pr, env }).done.then((r) => ({ ...r, summary: readFileSync(summary, 'utf8') }));
  };

  it('annotates the failed task and the CODEOWNERS finding, writes the summary and fails the step', async () => {
    const r = await action();
    expect(r.code, r.stderr).toBe(1);
    const lines = r.stdout.split('\n');
    // The failed build: its exit code and the last lines it printed.
    expect(lines).toContain('::error title=kiln%3A b%3Abuild failed::b:build failed (exit code 3)%0Acompiling b%0Ab.ts(3,1): error: boom');
    // kiln's own CODEOWNERS annotation, at its line.
    expect(lines.some((l) => /^::(error|warning) file=CODEOWNERS,line=2,/.test(l))).toBe(true);
    // Only b (changed) was affected; a ran as its dependency; c not at all.
    expect(r.summary).toContain('## kiln: build');
    expect(r.summary).toContain('| `b:build` | ❌ failed | miss |');
    expect(r.summary).toMatch(/\| `a:build` \| ✅ \| miss \| \d/);
    expect(r.summary).not.toContain('c:build');
    expect(r.summary).toContain('2 tasks: 2 run, 0 from the local cache, 0 from the remote cache, 1 failed, 0 skipped.');
    // Who must approve the pull request.
    expect(r.summary).toContain('### Code owners');
    expect(r.summary).toContain('@org/bees');
  });

  it('puts a configuration error at its file, line and column, and exits 2', async () => {
    const nx = join(pr, 'nx.json');
    const good = readFileSync(nx, 'utf8');
    writeFileSync(nx, '{\n  "targetDefaults": {\n    "build": [,]\n  }\n}\n');
    try {
      const r = await action({ INPUT_OWNERS: 'false' });
      expect(r.code).toBe(2);
      expect(r.stdout).toMatch(/^::error file=nx\.json,line=3,col=\d+,title=kiln%3A invalid-json::invalid JSON/m);
      expect(r.summary).toContain('kiln could not run build: `invalid-json`');
    } finally {
      writeFileSync(nx, good);
    }
  });

  it('action.yml hands every input it declares to the script, which reads each one', () => {
    const yml = parse(readFileSync(join(ACTION, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      runs: { using: string; steps: { run: string; env: Record<string, string> }[] };
    };
    expect(yml.runs.using).toBe('composite');
    const script = readFileSync(join(ACTION, 'run.mjs'), 'utf8');
    const step = yml.runs.steps[0]!;
    expect(step.run).toBe('node "$GITHUB_ACTION_PATH/run.mjs"');
    for (const name of Object.keys(yml.inputs)) {
      expect(step.env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`], name).toBe(`\${{ inputs.${name} }}`);
      expect(script, name).toContain(`input('${name}'`);
    }
    expect(Object.keys(step.env).length).toBe(Object.keys(yml.inputs).length);
  });

  it("docs/ci.md's workflow parses, fetches the whole history, plans a matrix and uses only the action's inputs", () => {
    const text = readFileSync(join(repoRoot, 'docs/ci.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(text)![1]!;
    type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
    const wf = parse(block) as { env: Record<string, string>; jobs: Record<string, { steps: Step[]; strategy?: { matrix: string }; needs?: string }> };
    const inputs = Object.keys((parse(readFileSync(join(ACTION, 'action.yml'), 'utf8')) as { inputs: object }).inputs);
    const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
    for (const s of steps.filter((s) => s.uses?.startsWith('actions/checkout'))) expect(s.with?.['fetch-depth']).toBe(0);
    expect(wf.env.KILN_BASE).toContain('github.base_ref');
    expect(Object.keys(wf.env)).toEqual(expect.arrayContaining(['KILN_REMOTE_CACHE_TOKEN', 'KILN_REMOTE_CACHE_READ_ONLY']));
    expect(wf.jobs.build!.needs).toBe('plan');
    expect(wf.jobs.build!.strategy!.matrix).toBe('${{ fromJSON(needs.plan.outputs.matrix) }}');
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('kiln ci plan -t build --affected');
    expect(runs).toContain('kiln owners check');
    expect(runs).toContain('kiln ci state save');
    const uses = steps.filter((s) => s.uses === './.github/actions/kiln');
    expect(uses.length).toBeGreaterThan(0);
    for (const s of uses) for (const k of Object.keys(s.with ?? {})) expect(inputs, k).toContain(k);
  });
});
