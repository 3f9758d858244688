// One import in a process of its own, for bench/import.ts's 2 GB row: its time and the process's peak memory
// (resident set, threads included) are the import's alone, not those of the benchmark that generated the file.
// Usage: tsx bench/import-child.ts CAPTURE DB; prints one JSON line.
import { importCapture } from '../src-main/core/capture/import-job.js';
import { openDb } from '../src-main/core/store/db.js';
import { StoreWriter } from '../src-main/core/store/writer.js';

const [file, db] = process.argv.slice(2);
const writer = new StoreWriter(openDb(db));
const t0 = performance.now();
const r = await importCapture(writer, file);
const secs = (performance.now() - t0) / 1000;
writer.close();
process.stdout.write(JSON.stringify({ secs, frames: r.frames, complete: r.complete, warnings: r.warnings, peakRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
