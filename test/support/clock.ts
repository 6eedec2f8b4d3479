// A manual clock for tests: time moves only when the test says so (`advance`), timers fire in order as it passes.
import type { Clock } from '../../src/util/clock.ts';
import { isoFromMicros } from '../../src/util/time.ts';

export class ManualClock implements Clock {
  private ms: number;
  private lastMicros = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;

  constructor(startMs = Date.now()) {
    this.ms = startMs;
  }

  now(): number {
    return this.ms;
  }

  /** Strictly increasing within this clock, like the system one (two stamps at one instant still order). */
  nowIso(): string {
    const us = Math.floor(this.ms * 1000);
    this.lastMicros = us > this.lastMicros ? us : this.lastMicros + 1;
    return isoFromMicros(this.lastMicros);
  }

  setTimer(fn: () => void, ms: number): () => void {
    const id = ++this.nextId;
    this.timers.push({ at: this.ms + ms, fn, id });
    return () => { this.timers = this.timers.filter((t) => t.id !== id); };
  }

  /** Moves time forward by `ms`, firing the timers that come due, earliest first. */
  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const t = this.timers[0];
      if (!t || t.at > target) break;
      this.timers.shift();
      this.ms = Math.max(this.ms, t.at);
      t.fn();
    }
    this.ms = target;
  }
}

/** Polls `cond` (real time) until it holds or `ms` pass: for state another task reaches, never for time itself. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}
