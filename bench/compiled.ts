// The benchmarks measure the code users run: the CLI and the core compiled by `tsc -p tsconfig.node-build.json`
// (what `npm install` builds), not the TypeScript sources through tsx. It matters most where the core starts a
// thread (the import's reading thread): from sources each new thread loads tsx and transpiles its modules first.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Compiles the CLI and the core into out/node. */
export function buildCli(): void {
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.node-build.json'], { cwd: root, stdio: 'inherit' });
}

/** A compiled module of the core, e.g. `compiled('src-main/core/capture/import-job')` (after buildCli). */
export async function compiled<T>(module: string): Promise<T> {
  return (await import(pathToFileURL(path.join(root, 'out/node', `${module}.js`)).href)) as T;
}
