/** No import circles in `src/` and `plugins/`: every file's imports form a tree of rooms. */
import path from 'node:path';
import { projectRoot, rel, tsFilesUnder } from '../support/import-graph';
import { importCircles } from '../support/import-cycles';

describe('import circles', () => {
  test('the finder reports a circle, a self-import, and not a diamond', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['e', 'f'], e: ['g'], f: ['g'], g: [], h: ['h'] };
    expect(importCircles(Object.keys(graph), (f) => graph[f])).toEqual([['a', 'b', 'c'], ['h']]);
  });

  test('src/ and plugins/ have none', () => {
    const files = [...tsFilesUnder(path.join(projectRoot, 'src')), ...tsFilesUnder(path.join(projectRoot, 'plugins'))];
    expect(files.length).toBeGreaterThan(150);
    expect(importCircles(files).map((c) => c.map(rel).join(' <-> '))).toEqual([]);
  });
});
