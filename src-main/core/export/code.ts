// "Copy as code": a frame or a whole client connection as a stomp.py script or a @stomp/stompjs module.
// One entry point for the CLI (`stompscope export --format stomp.py|stompjs`) and the contract (`export.code`).
import type { StoreReader } from '../store/reader.js';
import { buildCodeModel, type CodeLanguage } from './code-model.js';
import { stompjsModule } from './code-stompjs.js';
import { stomppyScript } from './code-stomppy.js';

export { CODE_LANGUAGES, type CodeLanguage } from './code-model.js';

export interface CodeExport {
  text: string;
  /** A file name to suggest: stompscope-connection-7.py, stompscope-frame-42.mjs. */
  filename: string;
  session: number;
  connection: number;
  /** The connection's and the frame's numbers within the session. */
  connectionNumber: number;
  frameNumber: number | null;
  /** Client frames the code sends after its CONNECT. */
  frames: number;
}

/**
 * Throws ApiError not-found / bad-request / conflict with a one-line message. `maxFrames` bounds the client
 * frames of a whole connection (the UI copies to the clipboard; a file has no such limit).
 */
export function exportCode(reader: StoreReader, target: { connection: number } | { frame: number }, language: CodeLanguage, reveal = false, maxFrames = Infinity): CodeExport {
  const model = buildCodeModel(reader, target, reveal, maxFrames);
  const text = language === 'stomp.py' ? stomppyScript(model) : stompjsModule(model);
  const base = 'frame' in target ? `stompscope-frame-${target.frame}` : `stompscope-connection-${target.connection}`;
  return { text, filename: `${base}.${language === 'stomp.py' ? 'py' : 'mjs'}`, session: model.session, connection: model.connection,
    connectionNumber: model.connectionNumber, frameNumber: model.frameNumber, frames: model.steps.length };
}

/** Most client frames `export.code` puts on the clipboard. */
export const MAX_CLIPBOARD_FRAMES = 10_000;
