import leven from 'leven';

/**
 * A " (did you mean "x"?)" hint for a misspelt name: the closest candidate by edit distance, when
 * it is close enough to be a typo (two edits, or a third of a long name).
 * Empty when nothing is close.
 * @example didYouMean('wroker_num', ['worker_num', 'read_batch']) // ' (did you mean "worker_num"?)'
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = leven(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const allowed = word.length <= 3 ? 1 : Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestDistance > 0 && bestDistance <= allowed ? ` (did you mean "${best}"?)` : '';
}
