// The few HTTP calls the CLI makes against a running gateway (`--url`), with errors that say what to do.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliFailure, UsageError } from './common.ts';

export interface Remote { base: string; token: string | null }

/** --token > ABSTRACTGATEWAY_AUTH_TOKEN(S) > the token file of the data dir (if readable). */
export function remoteFrom(args: Record<string, unknown>, dataDir: string | null): Remote | null {
  const url = typeof args.url === 'string' ? args.url.trim() : '';
  if (!url) return null;
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`--url ${JSON.stringify(url)} is not a URL`, 'Example: --url http://127.0.0.1:8080');
  }
  const env = process.env;
  const fromEnv = (env.ABSTRACTGATEWAY_AUTH_TOKEN || env.ABSTRACTGATEWAY_AUTH_TOKENS || '').split(',')[0]?.trim();
  const file = dataDir ? join(dataDir, 'gateway_token') : null;
  const fromFile = file && existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const token = (typeof args.token === 'string' && args.token.trim()) || fromEnv || fromFile || null;
  return { base: base.toString().replace(/\/+$/, ''), token };
}

export async function call<T = any>(r: Remote, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${r.base}${path}`, {
      method,
      headers: {
        ...(r.token ? { authorization: `Bearer ${r.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        'x-client-id': 'abstractgateway-cli',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new CliFailure(`Cannot reach the gateway at ${r.base}: ${e instanceof Error ? e.message : String(e)}`, 'Is it running? Check --url (start it with `abstractgateway serve`).');
  }
  const text = await res.text();
  let data: any = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!res.ok) {
    const detail = typeof data === 'object' && data ? (data.detail ?? data.error?.message ?? JSON.stringify(data)) : String(data);
    const hint = res.status === 401 || res.status === 403
      ? 'Pass --token (or set ABSTRACTGATEWAY_AUTH_TOKEN); `abstractgateway token` prints the stored one.'
      : res.status === 404 ? 'Check the id.' : undefined;
    throw new CliFailure(`Gateway answered ${res.status}: ${detail}`, hint);
  }
  return data as T;
}
