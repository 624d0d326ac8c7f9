/**
 * An artifact's software bill of materials, pure: a CycloneDX 1.6 JSON document listing the
 * service's workspace dependencies (with their versions), the external npm packages it needs at
 * run time as the lockfile resolves them (versions, integrity as hashes) and every file in the
 * artifact's layer (with its SHA-256). The same inputs give the same bytes: no clock, no random
 * serial number. Reading package.json files and the lockfile is attestations.ts's.
 */
import { sha256 } from '../model/index.js';
import { dependencyIds, resolveAllFrom, type Lockfile } from '../lockfile/index.js';
import { isoTime } from './oci.js';

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json';

/** A workspace project in the artifact: the service or one it depends on. */
export interface SbomProject {
  readonly name: string;
  readonly version: string;
  /** Workspace-relative root. */
  readonly root: string;
  /** The workspace projects it depends on directly. */
  readonly dependsOn: readonly string[];
  /** The external names its package.json needs at run time (`dependencies`, `optionalDependencies`). */
  readonly runtimeNames: readonly string[];
}

/** An external package as the SBOM lists it: once per name and version. */
export interface SbomPackage {
  readonly name: string;
  readonly version: string;
  readonly integrity?: string;
  /** purls of the packages it depends on. */
  readonly dependsOn: readonly string[];
}

export interface SbomInput {
  readonly project: string;
  readonly version: string;
  /** The image manifest's digest, `sha256:<hex>`. */
  readonly imageDigest: string;
  /** Seconds since the epoch: the commit time. */
  readonly created: number;
  readonly kilnVersion: string;
  /** The service first, then the workspace projects it depends on. */
  readonly projects: readonly SbomProject[];
  /** From `runtimePackages`, with each project's direct packages. */
  readonly packages: RuntimePackages;
  /** The files of the layer, path in the image → SHA-256 hex. */
  readonly files: readonly { readonly path: string; readonly sha256: string }[];
}

export interface RuntimePackages {
  /** By purl, sorted. */
  readonly packages: ReadonlyMap<string, SbomPackage>;
  /** Project name → purls it needs directly. */
  readonly direct: ReadonlyMap<string, readonly string[]>;
}

/**
 * The external packages `projects` need at run time: each project's runtime names resolved from
 * its root as the lockfile says (npm's nested install paths, pnpm's and yarn Berry's importers;
 * classic yarn.lock pins no importers, so there every pinned version of a name counts), then
 * everything those depend on. Names that resolve to workspace packages are left out.
 */
export function runtimePackages(lock: Lockfile | undefined, projects: readonly SbomProject[]): RuntimePackages {
  const packages = new Map<string, SbomPackage>();
  const direct = new Map<string, string[]>();
  if (lock === undefined) return { packages, direct };
  const purlOf = new Map<string, string>();
  const visit = (id: string): string | undefined => {
    const known = purlOf.get(id);
    if (known !== undefined) return known;
    const pkg = lock.packages.get(id);
    if (pkg === undefined) return undefined;
    const purl = npmPurl(pkg.name, pkg.version);
    purlOf.set(id, purl);
    const dependsOn = new Set<string>(packages.get(purl)?.dependsOn ?? []);
    packages.set(purl, { name: pkg.name, version: pkg.version, ...(pkg.integrity !== undefined && { integrity: pkg.integrity }), dependsOn: [] });
    for (const dep of dependencyIds(lock, id)) {
      const p = visit(dep);
      if (p !== undefined) dependsOn.add(p);
    }
    packages.set(purl, { ...packages.get(purl)!, dependsOn: [...dependsOn].sort() });
    return purl;
  };
  for (const project of projects) {
    const mine = new Set<string>();
    for (const name of project.runtimeNames)
      for (const id of resolveAllFrom(lock, project.root, name)) {
        const p = visit(id);
        if (p !== undefined) mine.add(p);
      }
    direct.set(project.name, [...mine].sort());
  }
  return { packages: new Map([...packages].sort(([a], [b]) => (a < b ? -1 : 1))), direct };
}

/** The CycloneDX 1.6 document (an object; serialise it with `canonicalBytes`). */
export function cycloneDx(input: SbomInput): Record<string, unknown> {
  const artifactRef = ociPurl(input.project, input.imageDigest);
  const projectRef = (name: string) => `kiln:project/${name}`;
  const [service, ...workspace] = input.projects;
  const components: Record<string, unknown>[] = [];
  for (const p of [...workspace].sort((a, b) => (a.name < b.name ? -1 : 1)))
    components.push({ type: 'library', 'bom-ref': projectRef(p.name), name: p.name, version: p.version, properties: [{ name: 'kiln:workspace-root', value: p.root || '.' }] });
  for (const [purl, p] of input.packages.packages) {
    const hashes = integrityHashes(p.integrity);
    components.push({
      type: 'library',
      'bom-ref': purl,
      name: p.name,
      version: p.version,
      purl,
      ...(hashes.length > 0 && { hashes }),
      ...(p.integrity !== undefined && hashes.length === 0 && { properties: [{ name: 'kiln:integrity', value: p.integrity }] }),
    });
  }
  for (const f of input.files) components.push({ type: 'file', 'bom-ref': `file:${f.path}`, name: f.path, hashes: [{ alg: 'SHA-256', content: f.sha256 }] });

  const dependencies = [
    {
      ref: artifactRef,
      dependsOn: [...(service?.dependsOn ?? []).map(projectRef), ...(service ? (input.packages.direct.get(service.name) ?? []) : []), ...input.files.map((f) => `file:${f.path}`)],
    },
    ...workspace.map((p) => ({ ref: projectRef(p.name), dependsOn: [...p.dependsOn.map(projectRef), ...(input.packages.direct.get(p.name) ?? [])] })),
    ...[...input.packages.packages].map(([purl, p]) => ({ ref: purl, dependsOn: p.dependsOn })),
  ];
  return {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${uuidFrom(`cyclonedx ${input.imageDigest}`)}`,
    version: 1,
    metadata: {
      timestamp: isoTime(input.created),
      tools: { components: [{ type: 'application', name: 'kiln', version: input.kilnVersion }] },
      component: {
        type: 'container',
        'bom-ref': artifactRef,
        name: input.project,
        version: input.version,
        purl: artifactRef,
        hashes: [{ alg: 'SHA-256', content: input.imageDigest.replace(/^sha256:/, '') }],
      },
    },
    components,
    dependencies,
  };
}

/** `pkg:npm/%40scope/name@1.2.3`, as the purl spec writes npm packages. */
export function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.split('/').map(encodeURIComponent).join('/')}@${encodeURIComponent(version)}`;
}

function ociPurl(project: string, digest: string): string {
  const name = project.replace(/^@/, '').replace(/\//g, '-').toLowerCase();
  return `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}`;
}

const SRI_ALGORITHMS: Record<string, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };

/** Subresource-integrity strings (`sha512-<base64>`, several space-separated) as CycloneDX hashes; others give none. */
export function integrityHashes(integrity: string | undefined): { alg: string; content: string }[] {
  const out: { alg: string; content: string }[] = [];
  for (const part of (integrity ?? '').split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/]+={0,2})$/.exec(part);
    if (m) out.push({ alg: SRI_ALGORITHMS[m[1]!]!, content: [...atob(m[2]!)].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('') });
  }
  return out;
}

/** A name-based UUID (version 5's layout, SHA-256 bits): the same text gives the same serial number. */
function uuidFrom(text: string): string {
  const h = sha256(text).split('');
  h[12] = '5';
  h[16] = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}
