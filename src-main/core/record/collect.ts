// A full garbage collection on demand, for the few places that know better than V8's heuristics when one is cheap:
// before the proxy listens (startup garbage collected now, not in the middle of the first connection's round trips)
// and in the recording worker (outgrown body buffers, which live outside its small heap).
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * V8's gc() without starting Node with --expose-gc: the flag set at run time exposes it to contexts created
 * afterwards. Null where that is not possible (an embedder that refuses the flag); then V8 keeps its own schedule.
 */
export function fullCollection(): (() => void) | null {
  if (gc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    } catch {
      gc = null;
    }
  }
  return gc;
}
