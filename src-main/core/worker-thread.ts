// Starting one of the core's worker threads (the recorder's, the read workers) from a module beside it, built or
// not: from the compiled build (`npm run build:cli`, the Electron bundle) the worker is a .js file beside the
// caller; from TypeScript sources (tests, `tsx`) it is a .ts file and needs the same loader as this thread.
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker `file` ('./name.js', written out in the caller so that a bundler sees it) found beside the module
 * whose `import.meta.url` is `here`; from sources, its .ts file.
 */
export function startWorkerBeside(here: string, file: `./${string}.js`, workerData: unknown): Worker {
  const fromSources = here.endsWith('.ts');
  const url = new URL(fromSources ? file.replace(/\.js$/, '.ts') : file, here);
  if (fromSources) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
    return new Worker(boot, { eval: true, workerData });
  }
  return new Worker(url, { workerData });
}
