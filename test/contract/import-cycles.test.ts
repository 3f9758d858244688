// The contract's modules are in no import cycle: shared/api/ is what every other part imports (the diagram model
// and the charts take its data types, the diagram its limits), so it must import nothing that imports it back. A
// cycle makes module initialisation order matter (a constant read before it is defined) and the parts inseparable.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Every relative import and re-export (types included) of the TypeScript files under shared/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) {
        const text = fs.readFileSync(path.join(root, rel), 'utf8');
        const deps = [...text.matchAll(/(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'/g)]
          .map((m) => path.join(path.dirname(rel), m[1]).replace(/\.js$/, '.ts'));
        graph.set(rel, deps);
      }
    }
  };
  walk('shared');
  return graph;
}

/** The files from which `start` can be reached again by following imports. */
function cyclesThrough(graph: Map<string, string[]>, start: string): string[] {
  const seen = new Set<string>();
  const stack = [...(graph.get(start) ?? [])];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(graph.get(f) ?? []));
  }
  return seen.has(start) ? [start] : [];
}

describe('import cycles', () => {
  it('no module of the contract (shared/api) is in an import cycle', () => {
    const graph = importGraph();
    const contract = [...graph.keys()].filter((f) => f.startsWith(`shared${path.sep}api`));
    expect(contract.length).toBeGreaterThan(0);
    expect(contract.flatMap((f) => cyclesThrough(graph, f))).toEqual([]);
    expect(cyclesThrough(graph, path.join('shared', 'diagram', 'model.ts'))).toEqual([]);
  });
});
