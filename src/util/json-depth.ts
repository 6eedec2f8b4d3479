// Nesting depth of JSON text without parsing it: one iterative pass over the bytes (or a string), constant
// memory, no recursion. Used before JSON.parse on every request body and every flow file of a bundle, so a
// hostile `[[[[…]]]]` is refused in microseconds instead of overflowing a recursive validator or formatter.
//
// The scan counts `[`/`{` outside string literals (escapes honoured). It does not validate JSON: malformed text
// is left to JSON.parse. Works on UTF-8 bytes because every structural character is ASCII (< 0x80) and no byte
// of a multi-byte sequence is.

const OPEN_ARRAY = 0x5b, OPEN_OBJECT = 0x7b, CLOSE_ARRAY = 0x5d, CLOSE_OBJECT = 0x7d, QUOTE = 0x22, BACKSLASH = 0x5c;

/** Incremental scanner: feed chunks in order; `exceeded` turns true once the depth passes `max`. */
export class JsonDepthScanner {
  depth = 0;
  maxSeen = 0;
  private inString = false;
  private escaped = false;

  constructor(readonly max: number) {}

  get exceeded(): boolean {
    return this.maxSeen > this.max;
  }

  /** Returns false as soon as the limit is exceeded (the rest of the chunk is not scanned). */
  feed(chunk: Uint8Array): boolean {
    for (let i = 0; i < chunk.length; i++) if (!this.step(chunk[i]!)) return false;
    return true;
  }

  feedString(text: string): boolean {
    for (let i = 0; i < text.length; i++) if (!this.step(text.charCodeAt(i))) return false;
    return true;
  }

  private step(c: number): boolean {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
      return true;
    }
    if (c === QUOTE) this.inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++this.depth > this.maxSeen) {
        this.maxSeen = this.depth;
        if (this.depth > this.max) return false;
      }
    } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && this.depth > 0) this.depth--;
    return true;
  }
}

/** True when `text` (JSON) nests deeper than `max` arrays/objects. */
export function jsonTooDeep(text: string | Uint8Array, max: number): boolean {
  const s = new JsonDepthScanner(max);
  if (typeof text === 'string') s.feedString(text);
  else s.feed(text);
  return s.exceeded;
}
