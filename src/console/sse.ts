// Live ledger of one run: a fetch-based SSE reader (EventSource cannot send the Authorization header).
// Contract: `followLedger(runId, onRecords, opts)` delivers every ledger record exactly once and in order,
// with its 1-based cursor: first a paged replay (`GET /ledger?after=`), then `GET /ledger/stream?after=<cursor>`.
// On a dropped connection it replays from the last cursor it delivered and re-streams (backoff 250 ms ×1.6,
// at most 5 s), so there are no gaps and no duplicates (a record whose cursor is not exactly cursor+1 is
// dropped and the gap filled by replay). It stops after the server's `done` (run terminal, all sent) or abort().
import { api, API, ApiError, authHeaders, type StepRecord } from './api.ts';

export interface Cursored { cursor: number; record: StepRecord }

export interface FollowOptions {
  onState?: (s: 'replaying' | 'live' | 'reconnecting' | 'done', detail?: string) => void;
  /** Records are delivered in batches of at most this many (replay pages). */
  after?: number;
}

/** Parses an SSE byte stream into events (`event`, `data`, `id`); comment lines are ignored. */
export async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string; id: string | null }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let event = 'message';
  let data: string[] = [];
  let id: string | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line === '') {
        if (data.length) yield { event, data: data.join('\n'), id };
        event = 'message';
        data = [];
        id = null;
      } else if (line.startsWith(':')) continue;
      else {
        const i = line.indexOf(':');
        const field = i < 0 ? line : line.slice(0, i);
        const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
        if (field === 'event') event = val;
        else if (field === 'data') data.push(val);
        else if (field === 'id') id = val;
      }
    }
  }
}

export function followLedger(runId: string, onRecords: (items: Cursored[]) => void, opts: FollowOptions = {}): () => void {
  const ctl = new AbortController();
  let cursor = opts.after ?? 0;
  let stopped = false;
  const state = opts.onState ?? (() => {});

  const deliver = (items: Cursored[]) => {
    const fresh = items.filter((it) => it.cursor === cursor + 1 && ((cursor = it.cursor), true));
    if (fresh.length) onRecords(fresh);
  };

  const replay = async () => {
    for (;;) {
      const page = await api.ledger(runId, cursor, 500);
      deliver(page.items.map((record, i) => ({ cursor: cursor + i + 1, record })));
      if (page.items.length < 500) return;
    }
  };

  const stream = async (): Promise<'done' | 'ended'> => {
    const res = await fetch(`${API}/runs/${encodeURIComponent(runId)}/ledger/stream?after=${cursor}&heartbeat_s=15`, {
      headers: { ...authHeaders(), accept: 'text/event-stream' },
      signal: ctl.signal,
    });
    if (!res.ok || !res.body) throw new ApiError(res.status, `http_${res.status}`, `stream answered ${res.status}`);
    state('live');
    for await (const ev of sseEvents(res.body)) {
      if (ev.event === 'done') return 'done';
      if (ev.event !== 'step') continue;
      try {
        const d = JSON.parse(ev.data) as Cursored;
        if (d.cursor > cursor + 1) await replay(); // a gap: fill it from the replay endpoint first
        deliver([d]);
      } catch { /* a malformed frame: the next replay covers it */ }
    }
    return 'ended';
  };

  void (async () => {
    let delay = 250;
    while (!stopped) {
      try {
        state('replaying');
        await replay();
        if ((await stream()) === 'done') {
          await replay(); // a record may commit just before `done`
          state('done');
          return;
        }
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 404)) {
          state('done', err.message);
          return;
        }
        state('reconnecting', (err as Error).message);
      }
      if (stopped) return;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 1.6, 5000);
    }
  })();

  return () => {
    stopped = true;
    ctl.abort();
  };
}
