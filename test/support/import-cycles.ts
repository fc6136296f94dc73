/**
 * Import circles of a set of files: the strongly connected components (Tarjan) of their import
 * graph that hold more than one file, or one file importing itself.
 */
import { importsOf } from './import-graph';

/** Each circle as its files (sorted), circles sorted by their first file. */
export function importCircles(files: string[], edgesOf: (file: string) => string[] = (f) => importsOf(f).flatMap((i) => (i.target ? [i.target] : []))): string[][] {
  const known = new Set(files);
  const edges = new Map(files.map((f) => [f, edgesOf(f).filter((t) => known.has(t))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || edges.get(v)!.includes(v)) circles.push(component.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return circles.sort((a, b) => a[0].localeCompare(b[0]));
}
