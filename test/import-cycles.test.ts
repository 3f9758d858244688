// No import cycles anywhere in the sources: every module can be understood (and moved) after the ones it imports;
// in particular the conversation stage (shared/) knows nothing of its feeders, and the recorder, the analysis and
// the store import each other one way only. Type-only imports count too: a cycle
// of types is still two modules that cannot be understood (or moved) one without the other.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Relative imports and re-exports of every .ts file under the given directories, as repository paths. */
function graph(dirs: string[]): Map<string, string[]> {
  const g = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) {
        const src = fs.readFileSync(path.join(ROOT, rel), 'utf8');
        const deps = [...src.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)]
          .map((m) => path.normalize(path.join(dir, m[1])).replace(/\.js$/, '.ts'));
        g.set(path.normalize(rel), deps);
      }
    }
  };
  for (const d of dirs) walk(d);
  return g;
}

function cycles(g: Map<string, string[]>): string[][] {
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (u: string) => {
    state.set(u, 1);
    stack.push(u);
    for (const v of g.get(u) ?? []) {
      if (!g.has(v)) continue;
      if (state.get(v) === 1) found.push(stack.slice(stack.indexOf(v)));
      else if (!state.has(v)) visit(v);
    }
    stack.pop();
    state.set(u, 2);
  };
  for (const u of g.keys()) if (!state.has(u)) visit(u);
  return found;
}

describe('import cycles', () => {
  it('none anywhere in shared/, the core, the hosts or the UI', () => {
    const g = graph(['shared', 'src-main', 'src-renderer/src']);
    expect(cycles(g).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('the conversation stage is pure: no node: modules, nothing outside shared/', () => {
    for (const [file, deps] of graph(['shared/conversation'])) {
      const src = fs.readFileSync(path.join(ROOT, file), 'utf8');
      expect(src, file).not.toMatch(/from\s+'node:/);
      for (const d of deps) expect(d.startsWith('shared/'), `${file} imports ${d}`).toBe(true);
    }
  });
});
