// Copies for bytes that are kept past the packet they came in (held out of order, carried to the next packet, queued
// until a flow is classified). Packets are views of the buffer a read of the capture filled, and `Buffer#slice` is a
// view too, not a copy: a held "slice" pinned that whole read buffer (4 MiB per held segment, unseen by the
// reassembly budget), and the import's reading thread hands each read buffer to the importer's thread once it is
// parsed, so nothing may keep a view of it.

/** A copy of `b` in memory of its own (a Buffer stays a Buffer). */
export function copyOf<T extends Uint8Array>(b: T): T {
  return Uint8Array.prototype.slice.call(b) as T;
}
