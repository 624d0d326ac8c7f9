/**
 * End to end: the SBOM and provenance `kiln artifact` writes beside each tarball, checked against
 * the official CycloneDX JSON schema (through @cyclonedx/cyclonedx-library's validator, ajv
 * underneath) and against npm's own reading of the lockfile.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, repoRoot, testEnv, type TempRepo } from './helpers/repo.js';

const integrity = (text: string) => `sha512-${createHash('sha512').update(text).digest('base64')}`;
const registryPackage = (name: string, version: string, deps: Record<string, string> = {}, extra: Record<string, unknown> = {}) => ({
  version,
  resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
  integrity: integrity(`${name}@${version}`),
  ...(Object.keys(deps).length > 0 && { dependencies: deps }),
  ...extra,
});
const copyBuild = 'mkdir -p dist && cp src/* dist/';

const api = {
  name: '@acme/api',
  version: '1.0.0',
  scripts: { build: copyBuild },
  dependencies: { 'left-pad': '^1.3.0', '@acme/log': '^2.0.0', '@acme/util': '*' },
  devDependencies: { typescript: '^5.0.0' },
};
const other = { name: '@acme/other', version: '1.0.0', scripts: { build: copyBuild }, dependencies: { chalk: '^5.0.0' } };
const util = { name: '@acme/util', version: '0.2.0', scripts: { build: copyBuild }, dependencies: { ms: '^2.1.3' } };
const { scripts: _a, ...apiLock } = api;
const { scripts: _o, ...otherLock } = other;
const { scripts: _u, ...utilLock } = util;

const files = {
  '.gitignore': 'dist/\n.kiln/\nnode_modules/\n',
  'package.json': { name: 'shop', private: true, workspaces: ['services/*', 'libs/*'] },
  'nx.json': {
    targetDefaults: { build: { dependsOn: ['^build'], outputs: ['{projectRoot}/dist'], cache: true } },
    kiln: { artifacts: { projects: ['@acme/api', '@acme/other', 'py'] } },
  },
  'package-lock.json': {
    name: 'shop',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'shop', workspaces: ['services/*', 'libs/*'] },
      'libs/util': utilLock,
      'services/api': apiLock,
      'services/other': otherLock,
      'node_modules/@acme/api': { resolved: 'services/api', link: true },
      'node_modules/@acme/other': { resolved: 'services/other', link: true },
      'node_modules/@acme/util': { resolved: 'libs/util', link: true },
      'node_modules/left-pad': registryPackage('left-pad', '1.3.0'),
      'node_modules/@acme/log': registryPackage('@acme/log', '2.4.1', { ms: '^2.0.0' }),
      // Two versions of one package: log's own, nested, and util's at the top.
      'node_modules/@acme/log/node_modules/ms': registryPackage('ms', '2.0.0'),
      'node_modules/ms': registryPackage('ms', '2.1.3'),
      'node_modules/typescript': registryPackage('typescript', '5.9.3', {}, { dev: true }),
      'node_modules/chalk': registryPackage('chalk', '5.3.0'),
    },
  },
  'services/api/package.json': api,
  'services/api/src/index.js': 'console.log("api");\n',
  'services/other/package.json': other,
  'services/other/src/index.js': 'console.log("other");\n',
  'libs/util/package.json': util,
  'libs/util/src/index.js': 'export const util = 1;\n',
  'services/py/project.json': {
    name: 'py',
    version: '0.3.0',
    projectType: 'application',
    implicitDependencies: ['@acme/util'],
    targets: { build: { command: 'mkdir -p dist && cp src/* dist/', options: { cwd: 'services/py' }, outputs: ['{projectRoot}/dist'] } },
  },
  'services/py/src/main.py': 'print("py")\n',
};

interface Component {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
}
interface Bom {
  metadata: { component: Component };
  components: Component[];
}

/** The external packages npm itself says `workspace` needs at run time, read from the lockfile alone. */
function npmResolution(dir: string, workspace: string): string[] {
  const tree = JSON.parse(
    execFileSync('npm', ['ls', '--package-lock-only', '--all', '--omit=dev', '--json', '--workspace', workspace], { cwd: dir, encoding: 'utf8', env: testEnv() }),
  );
  const found = new Set<string>();
  const walk = (deps: Record<string, { version: string; resolved?: string; dependencies?: object }> = {}) => {
    for (const [name, d] of Object.entries(deps)) {
      if (!d.resolved?.startsWith('file:')) found.add(`${name}@${d.version}`);
      walk(d.dependencies as typeof deps);
    }
  };
  walk(tree.dependencies);
  return [...found].sort();
}

describe('SBOM', () => {
  let repo: TempRepo;
  let packed: { project: string; path: string; digest: string }[];
  const bom = (project: string): Bom => JSON.parse(readFileSync(join(repo.dir, `${packed.find((a) => a.project === project)!.path}.cdx.json`), 'utf8'));
  const npmPackages = (b: Bom) =>
    b.components
      .filter((c) => c.purl?.startsWith('pkg:npm/'))
      .map((c) => `${c.name}@${c.version}`)
      .sort();

  beforeAll(() => {
    repo = createRepo(files);
    const r = repo.kiln(['artifact', '--json']);
    expect(r.code, r.stderr).toBe(0);
    packed = r.json().artifacts;
  });
  afterAll(() => repo.cleanup());

  it('is valid CycloneDX 1.6, for every artifact', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    for (const a of packed) {
      const text = readFileSync(join(repo.dir, `${a.path}.cdx.json`), 'utf8');
      expect(await validator.validate(text), a.project).toBeNull();
    }
    // The validator is not lenient: a wrong component type is caught.
    const broken = { ...bom('@acme/api'), components: [{ type: 'librarie', name: 'x' }] };
    expect(await validator.validate(JSON.stringify(broken))).not.toBeNull();
  });

  it("lists the packages npm's lockfile resolution gives the service, each with its integrity", () => {
    const b = bom('@acme/api');
    expect(npmPackages(b)).toEqual(npmResolution(repo.dir, 'services/api'));
    expect(npmPackages(b)).toEqual(['@acme/log@2.4.1', 'left-pad@1.3.0', 'ms@2.0.0', 'ms@2.1.3']);
    for (const c of b.components.filter((x) => x.purl?.startsWith('pkg:npm/'))) {
      const expected = createHash('sha512').update(`${c.name}@${c.version}`).digest('hex');
      expect(c.hashes, c.name).toEqual([{ alg: 'SHA-512', content: expected }]);
    }
    expect(npmPackages(bom('@acme/other'))).toEqual(npmResolution(repo.dir, 'services/other'));
  });

  it('names the image, the workspace dependencies and the files', () => {
    const b = bom('@acme/api');
    const a = packed.find((x) => x.project === '@acme/api')!;
    expect(b.metadata.component).toMatchObject({ type: 'container', name: '@acme/api', version: '1.0.0', hashes: [{ alg: 'SHA-256', content: a.digest.slice(7) }] });
    expect(b.components.filter((c) => c.type === 'library' && !c.purl).map((c) => `${c.name}@${c.version}`)).toEqual(['@acme/util@0.2.0']);
    const file = b.components.find((c) => c.type === 'file')!;
    expect(file).toMatchObject({ name: 'app/index.js', hashes: [{ alg: 'SHA-256', content: createHash('sha256').update('console.log("api");\n').digest('hex') }] });
  });

  it('for a service that is no Node package: its workspace dependencies and files', () => {
    const b = bom('py');
    expect(b.components.map((c) => `${c.type} ${c.name}${c.version ? `@${c.version}` : ''}`)).toEqual(['library @acme/util@0.2.0', 'library ms@2.1.3', 'file app/main.py']);
  });
});

describe('provenance', () => {
  let repo: TempRepo;
  let packed: { project: string; path: string; digest: string; inputHash: string }[];
  const schemas = join(repoRoot, 'test/fixtures/schemas');
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats.default(ajv);
  for (const f of ['in-toto-statement-v1.schema.json', 'slsa-provenance-v1.schema.json']) ajv.addSchema(JSON.parse(readFileSync(join(schemas, f), 'utf8')), f);
  const statementValid = ajv.getSchema('in-toto-statement-v1.schema.json')!;
  const predicateValid = ajv.getSchema('slsa-provenance-v1.schema.json')!;
  const provenance = (project: string) => JSON.parse(readFileSync(join(repo.dir, `${packed.find((a) => a.project === project)!.path}.provenance.json`), 'utf8'));

  beforeAll(() => {
    repo = createRepo(files);
    repo.git('remote', 'add', 'origin', 'git@example.com:acme/shop.git');
    const r = repo.kiln(['artifact', '--json']);
    expect(r.code, r.stderr).toBe(0);
    packed = r.json().artifacts;
  });
  afterAll(() => repo.cleanup());

  it('is an in-toto Statement v1 with a SLSA provenance v1 predicate, for every artifact', () => {
    for (const a of packed) {
      const p = provenance(a.project);
      expect(statementValid(p), JSON.stringify(statementValid.errors)).toBe(true);
      expect(p.predicateType).toBe('https://slsa.dev/provenance/v1');
      expect(predicateValid(p.predicate), JSON.stringify(predicateValid.errors)).toBe(true);
    }
    // The schemas are not lenient: a subject without a digest, a digest that is not hex, fail.
    const p = provenance('@acme/api');
    expect(statementValid({ ...p, subject: [{ name: 'x' }] })).toBe(false);
    expect(statementValid({ ...p, subject: [{ name: 'x', digest: { sha256: 'XYZ' } }] })).toBe(false);
    expect(predicateValid({ ...p.predicate, runDetails: {} })).toBe(false);
  });

  it("records the image as subject, the commit, the input hash, the build command and kiln's version", () => {
    const a = packed.find((x) => x.project === '@acme/api')!;
    const p = provenance('@acme/api');
    const head = repo.git('rev-parse', 'HEAD').trim();
    expect(p.subject).toEqual([{ name: '@acme/api@1.0.0', digest: { sha256: a.digest.slice(7) } }]);
    const { buildDefinition, runDetails } = p.predicate;
    expect(buildDefinition.externalParameters).toEqual({
      project: '@acme/api',
      version: '1.0.0',
      target: 'build',
      commands: [copyBuild],
      source: 'https://example.com/acme/shop',
      revision: head,
    });
    expect(buildDefinition.internalParameters.inputHash).toBe(a.inputHash);
    expect(buildDefinition.resolvedDependencies[0]).toEqual({ name: 'source', uri: `git+https://example.com/acme/shop@${head}`, digest: { gitCommit: head } });
    expect(buildDefinition.resolvedDependencies[1]).toEqual({
      name: 'package-lock.json',
      digest: {
        sha256: createHash('sha256')
          .update(readFileSync(join(repo.dir, 'package-lock.json')))
          .digest('hex'),
      },
    });
    const version = JSON.parse(readFileSync(join(repoRoot, 'packages/core/package.json'), 'utf8')).version;
    expect(runDetails.builder).toEqual({ id: `https://kiln.dev/builder/kiln-artifact@v${version}`, version: { kiln: version } });
    expect(runDetails.byproducts.map((b: { name: string }) => b.name)).toEqual([`${a.path}.tar.gz`, `${a.path}.cdx.json`]);
    expect(runDetails.byproducts[0].digest.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(join(repo.dir, `${a.path}.tar.gz`)))
        .digest('hex'),
    );
    // The nx:run-commands build of the service that is no Node package.
    expect(provenance('py').predicate.buildDefinition.externalParameters.commands).toEqual(['mkdir -p dist && cp src/* dist/']);
  });
});
