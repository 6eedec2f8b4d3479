// The console's only door to the gateway: the public HTTP API under /api/gateway, same origin, with
// `Authorization: Bearer <token>`. Request and response types are inferred from the server's own zod schemas
// (type-only imports: no server code reaches the browser bundle). Errors become ApiError with the gateway's
// `{detail, code}`, or `code: 'unreachable'` when no HTTP answer came back.
import type { z } from 'zod';
import type * as bundles from '../http/bundles/schemas.ts';
import type * as commands from '../http/commands/schemas.ts';
import type * as ledger from '../http/ledger/schemas.ts';
import type * as runs from '../http/runs/schemas.ts';

export type RunSummary = z.infer<typeof runs.RunSummary>;
export type RunListItem = z.infer<typeof runs.RunListItem>;
export type RunListResponse = z.infer<typeof runs.RunListResponse>;
export type StartRunBody = z.input<typeof runs.StartRunBody>;
export type ScheduleRunBody = z.input<typeof runs.ScheduleRunBody>;
export type InputDataResponse = z.infer<typeof runs.InputDataResponse>;
export type HistoryBundle = z.infer<typeof runs.HistoryBundle>;
export type StepRecord = z.infer<typeof ledger.StepRecordSchema>;
export type LedgerPage = z.infer<typeof ledger.LedgerPage>;
export type ChainReport = z.infer<typeof ledger.ChainReportSchema>;
export type BundleList = z.infer<typeof bundles.BundleList>;
export type BundleDetail = z.infer<typeof bundles.BundleDetail>;
export type BundleFlow = z.infer<typeof bundles.BundleFlow>;
export type WorkflowFlow = z.infer<typeof bundles.WorkflowFlow>;
export type UploadResponse = z.infer<typeof bundles.UploadResponse>;
export type ReloadResponse = z.infer<typeof bundles.ReloadResponse>;
export type SubmitCommandBody = z.input<typeof commands.SubmitCommandBody>;
export type SubmitCommandResponse = z.infer<typeof commands.SubmitCommandResponse>;
export type CommandOutcome = z.infer<typeof commands.CommandOutcomeResponse>;
export type CommandType = 'pause' | 'resume' | 'cancel' | 'emit_event' | 'update_schedule' | 'compact_memory';

export const API = '/api/gateway';
const TOKEN_KEY = 'abstractgateway.console.token';

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** The token lives in sessionStorage only: gone when the tab closes, never in a URL. */
export const tokenStore = {
  get: (): string => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export function authHeaders(token = tokenStore.get()): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** Listeners told when the gateway answers 401 (the token was rotated or is wrong): the app signs out. */
export const unauthorized = new Set<() => void>();

export async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(token), accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(API + path, { method, headers, body: payload });
  } catch {
    throw new ApiError(0, 'unreachable', 'The gateway did not answer: is it running, and is this the right address?');
  }
  const text = await res.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const j = (json ?? {}) as { detail?: unknown; code?: unknown };
    const detail = typeof j.detail === 'string' ? j.detail : text.slice(0, 300) || res.statusText;
    const err = new ApiError(res.status, typeof j.code === 'string' ? j.code : `http_${res.status}`, detail);
    if (res.status === 401 && token === undefined) for (const f of unauthorized) f();
    throw err;
  }
  return json as T;
}

const q = (params: Record<string, string | number | boolean | null | undefined>): string => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') s.set(k, String(v));
  const out = s.toString();
  return out ? `?${out}` : '';
};
const enc = encodeURIComponent;

export const newId = (): string => crypto.randomUUID();

export const api = {
  /** The sign-in check: any authenticated read. */
  checkToken: (token: string) => request<BundleList>('GET', '/bundles', undefined, token),
  bundles: (includeDeprecated = false) => request<BundleList>('GET', `/bundles${q({ include_deprecated: includeDeprecated, all_versions: true })}`),
  bundle: (id: string) => request<BundleDetail>('GET', `/bundles/${enc(id)}`),
  bundleFlow: (id: string, flow: string) => request<BundleFlow>('GET', `/bundles/${enc(id)}/flows/${enc(flow)}`),
  workflowFlow: (workflowId: string) => request<WorkflowFlow>('GET', `/workflows/${enc(workflowId)}/flow`),
  upload: (file: File, overwrite: boolean) => {
    const f = new FormData();
    f.set('file', file);
    f.set('overwrite', String(overwrite));
    f.set('reload', 'true');
    return request<UploadResponse>('POST', '/bundles/upload', f);
  },
  removeBundle: (id: string, version?: string) => request<{ removed: number }>('DELETE', `/bundles/${enc(id)}${q({ bundle_version: version, reload: true })}`),
  reload: () => request<ReloadResponse>('POST', '/bundles/reload'),
  deprecate: (id: string, flowId: string | null, reason: string | null) =>
    request<unknown>('POST', `/bundles/${enc(id)}/deprecate`, { flow_id: flowId, reason }),
  undeprecate: (id: string, flowId: string | null) => request<unknown>('POST', `/bundles/${enc(id)}/undeprecate`, { flow_id: flowId }),

  runs: (p: { limit?: number; status?: string; workflow_id?: string; session_id?: string; root_only?: boolean; cursor?: string | null }) =>
    request<RunListResponse>('GET', `/runs${q({ limit: p.limit ?? 50, ...p, cursor: p.cursor ?? undefined })}`),
  run: (id: string) => request<RunSummary>('GET', `/runs/${enc(id)}`),
  inputData: (id: string) => request<InputDataResponse>('GET', `/runs/${enc(id)}/input_data`),
  tree: (id: string) => request<HistoryBundle>('GET', `/runs/${enc(id)}/history_bundle${q({ include_subruns: true, ledger_mode: 'tail', ledger_max_items: 1 })}`),
  ledger: (id: string, after: number, limit = 500) => request<LedgerPage>('GET', `/runs/${enc(id)}/ledger${q({ after, limit })}`),
  verify: (id: string) => request<ChainReport>('GET', `/runs/${enc(id)}/ledger/verify`),
  start: (body: StartRunBody) => request<{ run_id: string }>('POST', '/runs/start', body),
  schedule: (body: ScheduleRunBody) => request<{ run_id: string }>('POST', '/runs/schedule', body),

  command: (runId: string, type: CommandType, payload: Record<string, unknown> = {}) => {
    const body: SubmitCommandBody = { command_id: newId(), run_id: runId, type, payload, client_id: 'console' };
    return request<SubmitCommandResponse>('POST', '/commands', body).then((r) => ({ ...r, command_id: body.command_id }));
  },
  outcome: (commandId: string) => request<CommandOutcome>('GET', `/commands/${enc(commandId)}`),
};

/** Polls a command's durable outcome until it is applied or rejected (or the time is up: still pending). */
export async function awaitOutcome(commandId: string, timeoutMs = 15_000): Promise<CommandOutcome> {
  const until = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    const o = await api.outcome(commandId).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return null; // not visible yet
      throw e;
    });
    if (o && o.status !== 'pending') return o;
    if (Date.now() > until) return o ?? { command_id: commandId, seq: 0, status: 'pending', reason: null };
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 1.5, 1000);
  }
}
