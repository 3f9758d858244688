// The few host globals shared/ may use: present in every JavaScript host we run in (Node, Chromium, Electron).
// Declared here instead of pulling in DOM or Node types, so that anything else fails to type-check.
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  decode(input?: Uint8Array, options?: { stream?: boolean }): string;
}
declare class TextEncoder {
  encode(input?: string): Uint8Array;
  encodeInto(src: string, dest: Uint8Array): { read: number; written: number };
}
