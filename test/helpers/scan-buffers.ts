// The WebAssembly module's read buffers in tests (src/core/byte-search.ts): run scans with all of
// them taken, so that the same scans can be compared on the JavaScript path.
import { releaseScanBuffer, scanBuffer, SCAN_BUFFER_BYTES, searchMemory } from '../../src/core/byte-search';

/** Takes every buffer the WebAssembly memory lends, so that scans in `fn` use ordinary ones; gives them back after. */
export async function withMemoryExhausted<T>(fn: () => Promise<T>): Promise<T> {
  const taken: Buffer[] = [];
  for (;;) {
    const b = scanBuffer(SCAN_BUFFER_BYTES);
    taken.push(b);
    if (b.buffer !== searchMemory) break;
  }
  try {
    return await fn();
  } finally {
    taken.forEach(releaseScanBuffer);
  }
}
