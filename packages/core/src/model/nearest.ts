/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `wanted`, if it is close enough to be a plausible typo
 * (a prefix or substring match, or an edit distance within a third of the length).
 */
export function nearest(wanted: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  const w = wanted.toLowerCase();
  for (const c of candidates) {
    const l = c.toLowerCase();
    // Among prefix matches the closest in length wins: `output` is `outputs`, not `outputLogs`.
    const score = l === w ? 0 : l.startsWith(w) || w.startsWith(l) ? 0.5 + Math.abs(l.length - w.length) / 1000 : l.includes(w) ? 1 : editDistance(w, l);
    if (score < bestScore || (score === bestScore && best !== undefined && c < best)) {
      best = c;
      bestScore = score;
    }
  }
  if (best === undefined) return undefined;
  return bestScore <= Math.max(2, Math.ceil(wanted.length / 3)) ? best : undefined;
}

/** ` Did you mean "x"?` or `''`. */
export function didYouMean(wanted: string, candidates: Iterable<string>): string {
  const n = nearest(wanted, candidates);
  return n === undefined ? '' : ` Did you mean "${n}"?`;
}
