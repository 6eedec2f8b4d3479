// The clock the runtime, the runner and schedules read time from. Production uses the system clock; tests pass a
// manual clock (test/support/clock.ts) and move time forward instead of sleeping.
import { isoFromMicros, nowIso } from './time.ts';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** The same instant in the one timestamp format (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`), strictly increasing. */
  nowIso(): string;
  /** Calls `fn` once `ms` of this clock's time have passed; returns a cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  nowIso,
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

let lastMicros = 0;
/** `nowIso` for a clock's milliseconds, strictly increasing within the process like the system one. */
export function isoFromClockMs(ms: number): string {
  const us = Math.floor(ms * 1000);
  lastMicros = us > lastMicros ? us : lastMicros + 1;
  return isoFromMicros(lastMicros);
}
