/**
 * Memoizes an async step of a test file: the first caller runs it, every later caller gets the same promise.
 * A test awaits the steps it reads from (a recorded session, a stopped proxy) instead of relying on an earlier
 * `it` having done them, so `vitest run FILE -t NAME` runs it alone while a full run still does each step once.
 */
export function once<T>(step: () => Promise<T>): () => Promise<T> {
  let done: Promise<T> | undefined;
  return () => (done ??= step());
}
