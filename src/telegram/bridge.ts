// The Telegram bridge (Bot API transport): long-polls getUpdates and turns each inbound message into the event
// `telegram.message` (scope session) for the chat's binding — the configured flow, started once per chat with
// session_id `<prefix><chat_id>` and remembered in the database.
//
// Exactly once: the update offset is committed in the SAME transaction as the event (an emit_event command in the
// durable inbox, idempotent on `telegram-<bot>-<update_id>`) and the media artifacts, so a crash either delivers
// the update and advances the offset, or does neither and the update is fetched again. A new chat's binding (its run
// + listeners) is committed first, and the event only once the flow's listeners wait for it (an event nobody waits
// for is not delivered); a crash in between finds the binding on restart and delivers then. The offset commits
// last; Telegram forgets updates below it on the next getUpdates.
//
// The bridge runs in the serving process (one poller per bot: the Bot API refuses concurrent getUpdates). It never
// writes existing runs (the runner applies the command) and never logs the token.
import type { BundleRegistry } from '../flow/bundle/registry.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { readRuntime, type RunState } from '../model/index.ts';
import type { Store, TelegramBinding } from '../store/index.ts';
import { TelegramApiError, type TelegramClient, type TgFileRef, type TgMessage, type TgUpdate } from './client.ts';
import type { TelegramConfig } from './config.ts';

const MAX_MEDIA_BYTES = 20 * 1024 * 1024; // the Bot API's own download cap
const LISTENER_PREFIXES = ['visual_event_listener', 'visual_schedule_listener'];

export interface BridgeOptions {
  config: TelegramConfig;
  client: TelegramClient;
  store: Store;
  runtime: Runtime;
  registry: BundleRegistry;
  log: (msg: string) => void;
  /** injectable for tests (backoff, waiting for listeners) */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** how long a delivery waits for the chat's listeners to be ready for the next event */
  listenerWaitMs?: number;
}

const abortableSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

const errText = (e: unknown) => (e instanceof Error ? e.message : String(e));

interface MediaItem { kind: string; file_id: string; file_unique_id: string | null; mime_type: string; file_name: string | null; file_size: number | null; width?: number; height?: number; duration?: number; artifact_id: string | null; error?: string }

export class TelegramBridge {
  private abort: AbortController | null = null;
  private loop: Promise<void> | null = null;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly o: BridgeOptions) {
    this.sleep = o.sleep ?? abortableSleep;
  }

  get running(): boolean {
    return this.abort !== null;
  }

  start(): void {
    if (this.abort) return;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /** Aborts the long poll at once and waits for the update in hand to be committed or dropped. */
  async stop(): Promise<void> {
    const ctrl = this.abort;
    if (!ctrl) return;
    ctrl.abort();
    await this.loop;
    this.abort = null;
    this.loop = null;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { config, client, log } = this.o;
    let failures = 0;
    log(`telegram: bridge polling the Bot API for flow ${config.flowId} (bot ${config.botKey})`);
    while (!signal.aborted) {
      try {
        const offset = await this.o.store.telegram.offset(config.botKey);
        const updates = await client.getUpdates(offset, config.pollTimeoutS, signal);
        for (const u of [...updates].sort((a, b) => a.update_id - b.update_id)) {
          if (signal.aborted) break;
          if (u.update_id < offset) continue;
          await this.handle(u, signal);
        }
        failures = 0;
      } catch (e) {
        if (signal.aborted) break;
        failures++;
        const retry = e instanceof TelegramApiError && e.retryAfterS ? e.retryAfterS * 1000 : Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
        log(`telegram: ${errText(e)} (retrying in ${Math.round(retry / 1000)}s)`);
        await this.sleep(retry, signal);
      }
    }
  }

  /** Delivers one update (or just consumes it when it carries no message); throws to retry it later. */
  async handle(u: TgUpdate, signal: AbortSignal): Promise<void> {
    const { config, store } = this.o;
    const msg = u.message ?? u.edited_message ?? u.channel_post;
    if (!msg?.chat) {
      await store.tx(() => store.telegram.saveOffset(config.botKey, u.update_id + 1));
      return;
    }
    const chatId = String(msg.chat.id);
    const binding = (await store.telegram.binding(config.botKey, chatId)) ?? (await this.bind(chatId));
    await this.listenersReady(binding.run_id, signal);
    const fetched = await this.fetchMedia(msg, signal);
    if (signal.aborted) return; // not committed: fetched again after restart
    const telegram = {
      update_id: u.update_id,
      chat_id: msg.chat.id,
      chat: msg.chat,
      message_id: msg.message_id,
      from: msg.from ?? null,
      text: msg.text ?? msg.caption ?? '',
      date: msg.date,
      edited: !!u.edited_message,
      media: [] as MediaItem[],
    };
    await store.tx(async () => {
      for (const { item, bytes } of fetched) {
        if (bytes) {
          const tags: Record<string, string> = { source: 'telegram', kind: item.kind, chat_id: chatId, message_id: String(msg.message_id) };
          if (item.file_name) tags.filename = item.file_name;
          item.artifact_id = (await store.artifacts.put(bytes, { contentType: item.mime_type, runId: binding.run_id, tags })).artifact_id;
        }
        telegram.media.push(item);
      }
      await store.commands.append({
        command_id: `telegram-${config.botKey}-${u.update_id}`,
        run_id: binding.run_id,
        type: 'emit_event',
        payload: { name: config.eventName, scope: 'session', session_id: binding.session_id, payload: { telegram }, event_id: `telegram:${config.botKey}:${u.update_id}` },
        client_id: 'telegram-bridge',
      });
      await store.telegram.saveOffset(config.botKey, u.update_id + 1);
    });
  }

  /** Starts the configured flow for a new chat and remembers it, in one transaction. */
  private async bind(chatId: string): Promise<TelegramBinding> {
    const { config, registry, runtime, store } = this.o;
    const target = registry.resolveStart({ flow_id: config.flowId, bundle_id: config.bundleId });
    const wf = await runtime.getWorkflow(target.workflow_id);
    const listeners = await Promise.all((wf.listeners?.() ?? []).map((id) => runtime.getWorkflow(id)));
    const sessionId = `${config.sessionPrefix}${chatId}`;
    return store.tx(async () => {
      const again = await store.telegram.binding(config.botKey, chatId);
      if (again) return again;
      const run = await runtime.createRun(wf, { sessionId, vars: { telegram: { chat_id: chatId } } }, listeners);
      const b = { chat_id: chatId, run_id: run.run_id, session_id: sessionId, workflow_id: run.workflow_id };
      await store.telegram.saveBinding(config.botKey, b);
      this.o.log(`telegram: chat ${chatId} bound to run ${run.run_id} (${run.workflow_id})`);
      return { ...b, created_at: run.created_at };
    });
  }

  /** Waits (bounded) until every live listener of the binding waits on its event, so the event is not missed. */
  private async listenersReady(rootId: string, signal: AbortSignal): Promise<void> {
    const deadline = Date.now() + (this.o.listenerWaitMs ?? 120_000);
    const ready = async (): Promise<boolean> => {
      const root = await this.o.store.runs.get(rootId);
      if (!root) return true;
      if (readRuntime(root.vars).listeners_pending) return false;
      return (await this.o.store.runs.children(rootId)).filter(isListener).every((r) => r.status !== 'running' && (r.status !== 'waiting' || r.waiting?.reason === 'event'));
    };
    while (!(await ready())) {
      if (signal.aborted) return;
      if (Date.now() > deadline) {
        this.o.log(`telegram: listeners of run ${rootId} are not waiting for events yet; delivering anyway`);
        return;
      }
      await this.runChangeOrPoll(signal);
    }
  }

  /** Push where this process owns the write (its runner commits a run change), a slow poll for another process. */
  private async runChangeOrPoll(signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    const off = this.o.store.notifier.onRunChange(() => wake.abort());
    try {
      await this.sleep(250, AbortSignal.any([signal, wake.signal]));
    } finally {
      off();
    }
  }

  /** Photos (largest size), voice notes, audio, video and documents; downloaded when media storage is on. */
  private async fetchMedia(msg: TgMessage, signal: AbortSignal): Promise<{ item: MediaItem; bytes: Uint8Array | null }[]> {
    const refs: [string, TgFileRef, string][] = [];
    if (msg.photo?.length) refs.push(['photo', msg.photo.reduce((a, b) => ((b.width ?? 0) * (b.height ?? 0) > (a.width ?? 0) * (a.height ?? 0) ? b : a)), 'image/jpeg']);
    if (msg.voice) refs.push(['voice', msg.voice, 'audio/ogg']);
    if (msg.audio) refs.push(['audio', msg.audio, 'audio/mpeg']);
    if (msg.video) refs.push(['video', msg.video, 'video/mp4']);
    if (msg.document) refs.push(['document', msg.document, 'application/octet-stream']);
    const out: { item: MediaItem; bytes: Uint8Array | null }[] = [];
    for (const [kind, ref, fallbackType] of refs) {
      const item: MediaItem = {
        kind, file_id: ref.file_id, file_unique_id: ref.file_unique_id ?? null, mime_type: ref.mime_type ?? fallbackType,
        file_name: ref.file_name ?? null, file_size: ref.file_size ?? null, artifact_id: null,
        ...(ref.width ? { width: ref.width, height: ref.height } : {}), ...(ref.duration !== undefined ? { duration: ref.duration } : {}),
      };
      let bytes: Uint8Array | null = null;
      if (this.o.config.storeMedia) {
        try {
          bytes = (await this.o.client.download(ref.file_id, MAX_MEDIA_BYTES, signal)).bytes;
        } catch (e) {
          if (signal.aborted) return out;
          item.error = errText(e); // the message is still delivered, saying why the file is missing
        }
      }
      out.push({ item, bytes });
    }
    return out;
  }
}

const isListener = (r: RunState) => LISTENER_PREFIXES.some((p) => r.workflow_id.startsWith(p));
