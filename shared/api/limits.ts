// The contract's size limits, in one module that imports nothing, so that any part of shared/ (the diagram
// model, the UI's own checks) can use them without importing the contract and making a cycle with it.

/** Longest display filter accepted (a filter is typed by a person). */
export const MAX_FILTER_LENGTH = 4096;

/**
 * Largest PEM text accepted in `proxy.start`: room for a CA bundle (Debian's whole ca-certificates.crt is about
 * 220 KB) while three of them stay well inside one WebSocket message of the web host (1 MiB).
 */
export const MAX_PEM_LENGTH = 256 * 1024;

/** Largest body a resend carries (base64 characters): inside one WebSocket message of the web host (1 MiB). */
export const MAX_RESEND_BODY_BASE64 = 700_000;

/** Most entries per code in one `session.expertInfo` answer. */
export const MAX_EXPERT_ENTRIES = 1000;

/** Most frame ids in one `diagram.links` request (a screenful of rows is well under it). */
export const MAX_LINK_IDS = 5000;

/** Most time buckets in one `session.stats` answer. */
export const MAX_STATS_BUCKETS = 2000;

/** Most destination mappings one replay takes (each is typed by a person). */
export const MAX_DESTINATION_MAPPINGS = 100;

/**
 * Most frames in one exported diagram. Beyond that an SVG stops being something a person opens (each frame is
 * three elements; 10,000 frames is already ~2 MB), and the rows travel to the page in one answer.
 */
export const MAX_EXPORT_FRAMES = 10_000;

/** Most rows in one `frames.page` answer, and most links in one `frame.links` answer. */
export const MAX_PAGE_ROWS = 10_000;

/** Most rows in one `frames.window` answer (a screenful is a few dozen). */
export const MAX_WINDOW_ROWS = 5_000;

/** Most bytes of a body or raw frame one `frame.detail` answer carries. */
export const MAX_DETAIL_BYTES = 16 * 1024 * 1024;

/** Longest wait a replay, resend or inject may be given (ms): ten minutes; the shortest is 100 ms. */
export const MAX_WAIT_MS = 600_000;

/** Most rows of the statistics view's per-destination table. */
export const MAX_STATS_TABLE_ROWS = 1000;

/** Most frames one `connection.follow` answers (a transcript reads on with `after`). */
export const MAX_FOLLOW_FRAMES = 2000;

/** Most bytes of one frame shown as text in a transcript; the raw bytes of the whole frame come from frame.detail. */
export const FOLLOW_TEXT_BYTES = 16 * 1024;

/** Most colouring rules one `frames.window` evaluates (each is a display filter a person wrote). */
export const MAX_COLOUR_RULES = 64;

/** Most header columns one `frames.window` fills ("Apply as column"). */
export const MAX_HEADER_COLUMNS = 16;

/** Most names of each kind in one `session.vocabulary` answer. */
export const MAX_VOCABULARY = 500;
