// Types for pcap-parser 0.2.1 (it ships none). Only what capture/pcap-parser-reader.ts uses.
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';

  export interface GlobalHeader {
    magicNumber: number;
    majorVersion: number;
    minorVersion: number;
    gmtOffset: number;
    timestampAccuracy: number;
    snapshotLength: number;
    linkLayerType: number;
  }

  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }

  export interface Packet {
    header: PacketHeader;
    data: Buffer;
  }

  /** Anything with on/pause/resume that emits 'data' Buffers, 'end' and 'error' (it need not be a real stream). */
  export interface Input extends EventEmitter {
    pause(): void;
    resume(): void;
  }

  export interface Parser extends EventEmitter {
    on(event: 'globalHeader', fn: (h: GlobalHeader) => void): this;
    on(event: 'packetHeader', fn: (h: PacketHeader) => void): this;
    on(event: 'packet', fn: (p: Packet) => void): this;
    on(event: 'error', fn: (e: Error) => void): this;
    on(event: 'end', fn: () => void): this;
  }

  export function parse(input: string | Input): Parser;
}
