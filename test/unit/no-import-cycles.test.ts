// No import circles among the project's modules (issue 11, "No circles"): a circle means no module in
// it can be read, tested or moved on its own, and at run time one of them sees the other half-loaded.
// Every relative import counts: `import`, `import type`, `export … from` and `import('…')` with a
// literal path — a circle of types alone is still a circle for whoever reads or moves the code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROOTS = ['src', 'activities', 'workflows', 'worker', 'drills'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of a file, resolved to the files they name (comments and strings are not imports). */
export function importsOf(file: string, text = readFileSync(file, 'utf8')): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
    .map((spec) => resolve(dirname(file), spec));
}

/** The shortest circle from `start` back to itself, staying inside `inside` (undefined if none). */
function shortestCircle(
  start: string,
  inside: ReadonlySet<string>,
  edges: (f: string) => string[],
): string[] | undefined {
  const via = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const f = queue.shift()!;
    for (const t of edges(f).filter((x) => inside.has(x))) {
      if (t === start) {
        const path = [start];
        for (let at = f; at !== start; at = via.get(at)!) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!via.has(t)) {
        via.set(t, f);
        queue.push(t);
      }
    }
  }
  return undefined;
}

/**
 * The knots of the graph (its strongly connected components with a circle in them), each as the
 * circles that show it: the shortest circle through its first file, then through each file that no
 * circle shown so far passes, until every file of the knot is in one.
 */
export function importKnots(
  graph: ReadonlyMap<string, readonly string[]>,
): { files: string[]; circles: string[][] }[] {
  // Tarjan's strongly connected components.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const edges = (f: string) => (graph.get(f) ?? []).filter((t) => graph.has(t));
  const visit = (f: string) => {
    index.set(f, next);
    low.set(f, next++);
    stack.push(f);
    onStack.add(f);
    for (const t of edges(f)) {
      if (!index.has(t)) {
        visit(t);
        low.set(f, Math.min(low.get(f)!, low.get(t)!));
      } else if (onStack.has(t)) low.set(f, Math.min(low.get(f)!, index.get(t)!));
    }
    if (low.get(f) === index.get(f)) {
      const component: string[] = [];
      let t: string;
      do {
        t = stack.pop()!;
        onStack.delete(t);
        component.push(t);
      } while (t !== f);
      if (component.length > 1 || edges(f).includes(f)) components.push(component.sort());
    }
  };
  for (const f of [...graph.keys()].sort()) if (!index.has(f)) visit(f);

  return components.map((files) => {
    const inside = new Set(files);
    const circles: string[][] = [];
    const covered = new Set<string>();
    for (const f of files) {
      if (covered.has(f)) continue;
      const circle = shortestCircle(f, inside, edges)!;
      circle.forEach((x) => covered.add(x));
      circles.push(circle);
    }
    return { files, circles };
  });
}

function projectGraph(): Map<string, string[]> {
  const files = ROOTS.flatMap((r) => tsFiles(join(ROOT, r)));
  return new Map(files.map((f) => [f, importsOf(f)]));
}

/**
 * Knots this test tolerates, exactly as they are (a knot that grows fails): each is owned by work
 * outside the change that added this test. Remove an entry when its knot is gone.
 */
const TOLERATED: { files: string[]; why: string }[] = [];

const rel = (f: string) => relative(ROOT, f).split(sep).join('/');
const show = (circle: string[]) => circle.map(rel).join(' → ');

describe('import graph', () => {
  it(`has no circle among ${ROOTS.map((r) => `${r}/**`).join(', ')}`, () => {
    const graph = projectGraph();
    expect(graph.size).toBeGreaterThan(50);
    const tolerated = new Set(TOLERATED.map((t) => [...t.files].sort().join('\n')));
    const circles = importKnots(graph)
      .filter((k) => !tolerated.has(k.files.map(rel).join('\n')))
      .flatMap((k) => k.circles.map(show));
    expect(circles, `import circles:\n  ${circles.join('\n  ')}\n`).toEqual([]);
  });

  it('sees static, type-only, re-exported and dynamic imports, not ones in comments or strings', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "export { c } from './c.ts';",
      "export * from './d.ts';",
      "const e = await import('./e.ts');",
      "import pino from 'pino';",
      "// import { f } from './f.ts';",
      'const g = "import { g } from \'./g.ts\'";',
    ].join('\n');
    expect(importsOf('/p/src/x.ts', text)).toEqual(
      ['/p/src/a.ts', '/p/b.ts', '/p/src/c.ts', '/p/src/d.ts', '/p/src/e.ts'].map((p) => resolve(p)),
    );
  });

  it('shows every file of a knot in a circle, shortest circles first file first', () => {
    const g = new Map<string, string[]>([
      ['a', ['b', 'c']],
      ['b', ['a', 'x']],
      ['c', ['d']],
      ['d', ['a']],
      ['x', []],
      ['s', ['s']],
      ['t', ['u']],
      ['u', ['t', 'a']],
    ]);
    expect(importKnots(g).sort((p, q) => p.files[0]!.localeCompare(q.files[0]!))).toEqual([
      {
        files: ['a', 'b', 'c', 'd'],
        circles: [
          ['a', 'b', 'a'],
          ['c', 'd', 'a', 'c'],
        ],
      },
      { files: ['s'], circles: [['s', 's']] },
      { files: ['t', 'u'], circles: [['t', 'u', 't']] },
    ]);
  });
});
