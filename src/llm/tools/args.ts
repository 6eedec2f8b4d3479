// Argument readers for tool implementations: LLMs send loosely typed JSON, so coerce what is obviously
// meant (e.g. "5" for an integer) and reject the rest with a message the model can act on.
import { ToolError } from './workspace.ts';

type Args = Record<string, unknown>;

export function str(args: Args, name: string): string;
export function str(args: Args, name: string, fallback: string | null): string | null;
export function str(args: Args, name: string, fallback?: string | null): string | null {
  const v = args[name];
  if (v === undefined || v === null) {
    if (fallback === undefined) throw new ToolError(`Missing required argument '${name}'`);
    return fallback;
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ToolError(`Argument '${name}' must be a string`);
}

export function int(args: Args, name: string, fallback: number): number {
  const v = args[name];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new ToolError(`Argument '${name}' must be a number`);
  return Math.trunc(n);
}

export function bool(args: Args, name: string, fallback: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
  return Boolean(v);
}

/** Truncate text to `max` characters, saying so, so the model knows output was cut. */
export function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n... [truncated ${text.length - max} characters]`;
}
