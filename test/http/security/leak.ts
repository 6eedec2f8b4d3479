// Reusable check that no configured token text appears in some output (responses, logs, files).
import { expect } from 'bun:test';

/** Fails when any token, raw or URL-encoded, occurs in `text`; the failure shows where (token masked). */
export function assertNoTokenLeak(text: string, tokens: readonly string[]): void {
  for (const token of tokens) {
    if (!token) continue;
    for (const form of new Set([token, encodeURIComponent(token)])) {
      const at = text.indexOf(form);
      const context = at < 0 ? '' : text.slice(Math.max(0, at - 40), at + form.length + 40).replace(form, '<TOKEN>');
      expect(at < 0 ? 'no leak' : `token leaked at offset ${at}: …${context}…`).toBe('no leak');
    }
  }
}
