/**
 * Parsed rules → a matcher that answers "who owns this path?" fast enough for 100,000 paths
 * against thousands of lines. Instead of testing every line for every path, rules are indexed
 * by what a path must contain for them to match at all:
 *   - anchored patterns by their literal leading directories (a trie walked along the path);
 *   - floating patterns by the first segment they must meet: an exact name (`logs`, `README.md`)
 *     or an extension (`*.ts` → `.ts`), looked up for each segment of the path;
 *   - the rest (`*`, `/*​/x`, `**​/f*`) in a short list tested for every path.
 * The candidates are then tested latest-first, and the first that matches decides (last match
 * wins); GitLab does this once per section and unions the sections' owners.
 */
import { compilePattern, literalText, type CompiledPattern } from './pattern.js';
import type { CodeownersRule, OwnersMatch, ParsedCodeowners, PathOwners } from './types.js';

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  readonly rules: number[];
}

const newNode = (): TrieNode => ({ children: new Map(), rules: [] });

/** The rules of one section (or its exclusions), indexed. Rule numbers are global `rule.index`es. */
class RuleIndex {
  private readonly root = newNode();
  private readonly names = new Map<string, number[]>();
  private readonly extensions = new Map<string, number[]>();
  private readonly always: number[] = [];
  size = 0;

  add(rule: number, compiled: CompiledPattern): void {
    this.size++;
    if (!compiled.floating && compiled.literalPrefix.length > 0) {
      let node = this.root;
      for (const name of compiled.literalPrefix) {
        let next = node.children.get(name);
        if (!next) node.children.set(name, (next = newNode()));
        node = next;
      }
      node.rules.push(rule);
      return;
    }
    if (compiled.floating) {
      const first = compiled.segments.find((s) => s.kind !== 'globstar');
      if (first && first.kind === 'glob') {
        const name = literalText(first);
        if (name !== undefined) return push(this.names, name, rule);
        const tail = first.tokens[first.tokens.length - 1];
        if (tail?.kind === 'literal' && tail.text.includes('.')) return push(this.extensions, tail.text.slice(tail.text.lastIndexOf('.')), rule);
      }
    }
    this.always.push(rule);
  }

  /** Rules that may match `segments`, in no particular order, possibly repeated. */
  candidates(segments: readonly string[], out: number[]): void {
    for (const r of this.always) out.push(r);
    let node: TrieNode | undefined = this.root;
    for (const seg of segments) {
      node = node.children.get(seg);
      if (!node) break;
      for (const r of node.rules) out.push(r);
    }
    if (this.names.size > 0 || this.extensions.size > 0) {
      for (const seg of segments) {
        const byName = this.names.get(seg);
        if (byName) for (const r of byName) out.push(r);
        const dot = seg.lastIndexOf('.');
        if (dot >= 0) {
          const byExt = this.extensions.get(seg.slice(dot));
          if (byExt) for (const r of byExt) out.push(r);
        }
      }
    }
  }
}

const descending = (a: number, b: number): number => b - a;

function push(map: Map<string, number[]>, key: string, rule: number): void {
  const list = map.get(key);
  if (list) list.push(rule);
  else map.set(key, [rule]);
}

export interface OwnersMatcher {
  readonly parsed: ParsedCodeowners;
  /** The compiled form of each rule, by `rule.index`. */
  readonly compiled: readonly CompiledPattern[];
  /** Owners of a file at `path` (repository-relative, `/`-separated). */
  ownersOf(path: string): PathOwners;
  /**
   * Owners of a directory: what a new file directly inside it would get. `/libs/a/`, `/libs/a`
   * and `*` count; `*.ts` and `/libs/a/*.ts` do not. `''` is the repository root.
   */
  ownersOfDirectory(dir: string): PathOwners;
  /** Every rule matching `path`, ascending, whether or not it decides. */
  rulesMatching(path: string): number[];
}

/** A file name no pattern names: a directory's owners are those of this file inside it. */
const DIRECTORY_PROBE = '\u0000';

export function compileOwners(parsed: ParsedCodeowners): OwnersMatcher {
  const compiled = parsed.rules.map((r) => compilePattern(r.pattern, parsed.dialect));
  const sectionKeys = parsed.sections.map((s) => s.key);
  const includes = new Map<string, RuleIndex>(sectionKeys.map((k) => [k, new RuleIndex()]));
  const excludes = new Map<string, RuleIndex>(sectionKeys.map((k) => [k, new RuleIndex()]));
  for (const rule of parsed.rules) (rule.exclusion ? excludes : includes).get(rule.section)!.add(rule.index, compiled[rule.index]!);
  const sections = sectionKeys
    .map((key) => ({ key, include: includes.get(key)!, exclude: excludes.get(key)! }))
    .filter((s) => s.include.size > 0);
  const scratch: number[] = [];

  /** The highest-numbered rule of `index` matching `path`, or -1. */
  const lastMatch = (index: RuleIndex, path: string, segments: readonly string[]): number => {
    scratch.length = 0;
    index.candidates(segments, scratch);
    // Latest first. A path can have hundreds of candidates that fail (a directory under many
    // `/packages/p*/src/` lines), so they are sorted once rather than searched for the next best each time.
    scratch.sort(descending);
    const depth = segments.length;
    for (let i = 0, previous = -1; i < scratch.length; i++) {
      const r = scratch[i]!;
      if (r === previous) continue;
      previous = r;
      const c = compiled[r]!;
      if (c.minDepth <= depth && c.test(path, segments)) return r;
    }
    return -1;
  };

  const unowned: PathOwners = Object.freeze({ owners: [], matches: [] });
  // One shared, frozen answer per deciding rule: GitHub's case allocates nothing per path.
  const single = parsed.rules.map((rule): PathOwners => Object.freeze({ owners: unionOwners([rule]), matches: [{ section: rule.section, rule }] }));
  const simple = sections.length === 1 && sections[0]!.exclude.size === 0 ? sections[0]!.include : undefined;

  const ownersOf = (path: string): PathOwners => {
    const segments = path.split('/');
    if (simple) {
      const r = lastMatch(simple, path, segments);
      return r < 0 ? unowned : single[r]!;
    }
    const matches: OwnersMatch[] = [];
    for (const s of sections) {
      const r = lastMatch(s.include, path, segments);
      if (r < 0) continue;
      if (s.exclude.size > 0 && lastMatch(s.exclude, path, segments) >= 0) continue;
      matches.push({ section: s.key, rule: parsed.rules[r]! });
    }
    if (matches.length === 0) return unowned;
    if (matches.length === 1) return single[matches[0]!.rule.index]!;
    return { owners: unionOwners(matches.map((m) => m.rule)), matches };
  };

  return {
    parsed,
    compiled,
    ownersOf,
    ownersOfDirectory: (dir) => ownersOf(dir === '' ? DIRECTORY_PROBE : `${dir.replace(/\/+$/, '')}/${DIRECTORY_PROBE}`),
    rulesMatching(path) {
      const segments = path.split('/');
      const all: number[] = [];
      for (const s of [...includes.values(), ...excludes.values()]) s.candidates(segments, all);
      return [...new Set(all)].filter((r) => compiled[r]!.test(path, segments)).sort((a, b) => a - b);
    },
  };
}

/** Owners of several rules, deduplicated case-insensitively (handles and emails are), first spelling kept. */
export function unionOwners(rules: readonly CodeownersRule[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const rule of rules)
    for (const o of rule.owners) {
      const key = o.toLowerCase();
      if (!seen.has(key)) {
        seen.add(key);
        out.push(o);
      }
    }
  return out;
}
