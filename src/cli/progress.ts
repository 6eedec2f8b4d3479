// Progress for long work: a redrawn bar on a terminal, plain status lines otherwise (logs, CI, pipes).
import { useColor } from './common.ts';

export interface ProgressReporter {
  update(label: string, done: number, total: number): void;
  /** Ends the current label's bar (or prints its final status line). */
  finish(label: string, done: number, total: number): void;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr, opts: { quiet?: boolean } = {}): ProgressReporter {
  if (opts.quiet) return { update() {}, finish() {} };
  if (stream.isTTY) {
    let last = 0;
    const draw = (label: string, done: number, total: number) => {
      const width = 28;
      const frac = total ? Math.min(1, done / total) : 1;
      const filled = Math.round(frac * width);
      const bar = (useColor ? '\x1b[36m' : '') + '#'.repeat(filled) + (useColor ? '\x1b[0m' : '') + '-'.repeat(width - filled);
      stream.write(`\r\x1b[2K${label.padEnd(10)} [${bar}] ${done}/${total}`);
    };
    return {
      update(label, done, total) {
        const now = Date.now();
        if (now - last < 50) return; // repaint at most 20 times a second
        last = now;
        draw(label, done, total);
      },
      finish(label, done, total) {
        draw(label, done, total);
        stream.write('\n');
      },
    };
  }
  const started = new Set<string>();
  return {
    update(label, _done, total) {
      if (started.has(label)) return;
      started.add(label);
      stream.write(`${label}: ${total} to check...\n`);
    },
    finish(label, done, total) {
      stream.write(`${label}: ${done}/${total} checked\n`);
    },
  };
}
