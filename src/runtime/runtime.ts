// The durable run kernel (docs/runtime.md "Runs and ticks"): start, tick, resume, pause, resume_run, cancel.
//
// A tick works on an in-memory copy of the run and batches its checkpoint and ledger records into one
// immediate transaction. It flushes before an external effect runs (so a crash mid-call leaves a `started`
// record and the checkpoint of the step before), when the run waits or ends, and at the end of the tick.
// Pure moves in between are deterministic, so replaying them after a crash observes nothing new. An effect that
// writes to other runs (emit_event) commits its writes together with the step (see `atomic`), and a child run
// started by an effect gets a deterministic id (`childRunId`), so a replayed step adopts it instead of starting
// another.
import type { CommandWithOutcome, Store } from '../store/index.ts';
import {
  clearPause, Conflict, controlOf, DomainError, ensureLimits, GATEWAY_ACTOR, isPaused, isPlainObject, isTerminal, nodeTracesOf, readRuntime,
  RunNotFound, RunNotWaiting, RunPaused, runtimeSection, setPath, WaitKeyMismatch, WorkflowNotFound,
  type EffectOutcome, type EffectSpec, type RunState, type StepRecord, type Vars, type WaitState,
} from '../model/index.ts';
import { sha256Hex } from '../util/json.ts';
import { nowIso } from '../util/time.ts';
import { systemClock, type Clock } from '../util/clock.ts';
import { BUILTIN_EFFECTS } from './effects.ts';
import { takeHeldEvent } from './events.ts';
import { idempotencyKey } from './keys.ts';
import { completionRecord, effectRecord, resumeRecord, terminalStatusRecord, tickExceptionRecord } from './records.ts';
import { type EffectHandler, type ResumeHook, type StepContext, type Workflow, type WorkflowSource } from './types.ts';

export interface StartOptions {
  vars?: Vars;
  sessionId?: string | null;
  parentRunId?: string | null;
  actorId?: string | null;
  /** Start listener child runs declared by the workflow (default: for root runs). */
  startListeners?: boolean;
  /**
   * A deterministic id (see `Runtime.childRunId`): when a run with this id exists already it is returned as it is,
   * so an effect re-executed after a crash adopts the child its first attempt created instead of starting another.
   */
  runId?: string;
  /** The parent's state when at hand (saves a read; its tree position decides the child's depth). */
  parent?: RunState;
}

/** Runaway protection (docs/runtime.md "Runs and ticks"): how deep subflows may nest and how many runs one root may start in its tree. */
export interface TreeLimits {
  maxSubflowDepth: number;
  maxTreeRuns: number;
}
export const DEFAULT_TREE_LIMITS: TreeLimits = { maxSubflowDepth: 64, maxTreeRuns: 10_000 };

/** A run's place in its tree, kept in `vars._runtime.tree` of child runs (a root has none: depth 0, itself). */
function treeOf(run: RunState): { root: string; depth: number } {
  const t = readRuntime(run.vars).tree;
  return isPlainObject(t) && typeof t.root === 'string' && Number.isInteger(t.depth) ? { root: t.root, depth: t.depth } : { root: run.run_id, depth: 0 };
}

/** How long a runner's claim on a run lasts without renewal (many-runner stores; the runner renews it every third of that). */
export const DEFAULT_CLAIM_MS = 15_000;

/** Built-in effects whose writes reach other runs: they commit together with the step (see RegisteredEffect). */
const ATOMIC_BUILTINS = new Set(['emit_event']);
/** Applies a command type owned by a product feature (schedules, memory); returns the outcome note. */
export type CommandApplier = (rt: Runtime, cmd: CommandWithOutcome) => Promise<string | void> | string | void;
/** Called after a tree-wide resume command (e.g. a recurrent schedule fires at once when resumed). */
export type TreeResumedHook = (rt: Runtime, runId: string) => Promise<void> | void;

interface RegisteredEffect {
  handler: EffectHandler;
  /** External effects touch the world outside the database: checkpoint before running them. */
  external: boolean;
  /**
   * Synchronous database-only effects whose writes reach other runs (emit_event): the handler runs inside the
   * transaction that commits its `started` + end records and the step's resulting checkpoint, so there is no
   * crash window in which its writes are durable but the step is not (a replay would deliver again).
   */
  atomic?: boolean;
}

/** A tick's commit the store refused (its cause): the tick stops; the run keeps its last committed checkpoint. */
class CommitFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

const claimLost = (runId: string) => new Error(`run ${runId}: this runner's claim expired and another runner took the run over`);

/** True for a refused commit of a tick: an effect handler lets it through rather than failing its run. */
export const isCommitFailure = (err: unknown): boolean => err instanceof CommitFailed;

/** A kernel invariant broken by a workflow (e.g. a node with no effect and no successor): fails the run. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

export class Runtime {
  private effects = new Map<string, RegisteredEffect>();
  private commandAppliers = new Map<string, CommandApplier>();
  /** Resume hooks of the registered effects, by effect type (see ResumeHook). */
  private resumeHooks = new Map<string, ResumeHook>();
  private treeResumedHooks: TreeResumedHook[] = [];
  /** Abort controllers of ticks in flight, so cancel/pause can interrupt a long effect. */
  private inflight = new Map<string, AbortController>();
  private ticking = new Map<string, Promise<RunState>>();
  private commitQueue: { write: () => Promise<void> | void; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private commitScheduled = false;
  /** Working state of the ticks in flight, so effects can learn about records not yet committed. */
  private tickStates = new Map<string, TickState>();
  /** Runaway limits enforced when a child run starts (set from config by the gateway). */
  treeLimits: TreeLimits = { ...DEFAULT_TREE_LIMITS };

  /** Time as the runtime sees it: due `until` waits, schedule fire times, pause/resume stamps, run timestamps. */
  readonly clock: Clock;
  readonly defaults: { provider?: string | null; model?: string | null };
  /** How long a claim on a run lasts without renewal (many-runner stores): a dead runner's runs wait this long. */
  readonly claimMs: number;

  constructor(
    readonly store: Store,
    readonly workflows: WorkflowSource,
    opts: { provider?: string | null; model?: string | null; clock?: Clock; claimMs?: number } = {},
  ) {
    this.clock = opts.clock ?? systemClock;
    this.claimMs = opts.claimMs ?? DEFAULT_CLAIM_MS;
    this.defaults = { provider: opts.provider, model: opts.model };
    this.ctx = { nowIso: () => this.clock.nowIso() };
    for (const [type, handler] of Object.entries(BUILTIN_EFFECTS(this))) {
      this.effects.set(type, { handler, external: false, atomic: ATOMIC_BUILTINS.has(type) });
    }
  }

  registerEffect(type: string, handler: EffectHandler, opts: { external?: boolean } = {}): void {
    this.effects.set(type, { handler, external: opts.external ?? true });
    if (handler.resume) this.resumeHooks.set(type, handler.resume);
  }

  /**
   * The deterministic id of the child run an effect starts: a hash of the parent run, the effect's idempotency key
   * and how many times this effect already ended in the parent's ledger (committed or pending in this tick). A
   * replay after a crash (same checkpoint, same records) computes the same id and adopts the child; the next
   * visit of the same node in a loop gets a new one.
   */
  async childRunId(ctx: { run: RunState; idempotencyKey: string }): Promise<string> {
    const runId = ctx.run.run_id;
    const key = ctx.idempotencyKey;
    const visit = (await this.store.ledger.countEnded(runId, key)) + (this.tickStates.get(runId)?.pendingEnded(key) ?? 0);
    const h = sha256Hex(`${runId}\0${key}\0${visit}`).split('');
    h[12] = '8'; // RFC 9562 "custom" version, variant 10xx: still a well-formed UUID
    h[16] = ((parseInt(h[16]!, 16) & 3) | 8).toString(16);
    const x = h.join('');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
  }

  /**
   * Starts (or adopts) the child run an effect asks for, with the id of `childRunId`. A child started by a claimed
   * tick (many runners) is fenced like the tick's own commits: when the parent's claim lapsed, or another runner
   * committed to the parent since this tick loaded it, nothing is started and the tick stops (CommitFailed). A
   * stalled tick would otherwise count its successor's records, derive a new id and start a second child.
   */
  async startChild(ctx: { run: RunState; idempotencyKey: string }, workflowId: string, opts: Omit<StartOptions, 'runId' | 'parentRunId' | 'parent'>): Promise<RunState> {
    const parent = ctx.run;
    const runId = await this.childRunId(ctx);
    const t = this.store.multiRunner ? this.tickStates.get(parent.run_id) : undefined;
    const fence = t?.claimOwner ? async () => {
      if (!(await t.stillCurrent())) throw new CommitFailed(claimLost(parent.run_id));
    } : undefined;
    return this.startRun(workflowId, { ...opts, runId, parent, parentRunId: parent.run_id }, { fence });
  }

  /** Handles command `type` on this runtime (the kernel's own types are built in, see commands.ts). */
  registerCommand(type: string, applier: CommandApplier): void {
    this.commandAppliers.set(type, applier);
  }

  commandApplier(type: string): CommandApplier | undefined {
    return this.commandAppliers.get(type);
  }

  onTreeResumed(hook: TreeResumedHook): void {
    if (!this.treeResumedHooks.includes(hook)) this.treeResumedHooks.push(hook);
  }

  /** Runs the tree-resumed hooks (inside the resume command's transaction). */
  async treeResumed(runId: string): Promise<void> {
    for (const hook of this.treeResumedHooks) await hook(this, runId);
  }

  private readonly ctx: StepContext;

  async getWorkflow(workflowId: string): Promise<Workflow> {
    const wf = await this.workflows.get(workflowId);
    if (!wf) throw new WorkflowNotFound(`Workflow '${workflowId}' not found in registry`);
    return wf;
  }

  // ---- start ---------------------------------------------------------------------------------------------

  /** Creates and commits a new run (status running at the entry node). Nothing executes until a tick. */
  start(workflowId: string, opts: StartOptions = {}): Promise<RunState> {
    return this.startRun(workflowId, opts);
  }

  /**
   * `start`; for a child started by a tick (`child`), a start the store refused (the fence, a deadlock, a dropped
   * connection) stops the parent's tick like a refused commit of its own (CommitFailed): the parent is ticked
   * again from its checkpoint, never failed for it. Refusals of the start itself (an unknown workflow, a tree
   * limit: domain errors) stay the parent's failure.
   */
  private async startRun(workflowId: string, opts: StartOptions, child?: { fence?: () => Promise<void> }): Promise<RunState> {
    if (opts.runId) {
      const existing = await this.store.runs.get(opts.runId);
      if (existing) return existing;
    }
    const wf = await this.getWorkflow(workflowId);
    const listeners = (opts.startListeners ?? !opts.parentRunId) ? (wf.listeners?.() ?? []) : [];
    const { run, write } = await this.newRun(wf, opts, await Promise.all(listeners.map((id) => this.getWorkflow(id))));
    const fence = child?.fence;
    const committed = this.commitSoon(fence ? async () => { await fence(); await write(); } : write);
    await (child ? committed.catch((err) => { throw err instanceof CommitFailed || err instanceof DomainError ? err : new CommitFailed(err); }) : committed);
    return run;
  }

  /** Start for a workflow already at hand (commits in the caller's transaction, if any). */
  async createRun(wf: Workflow, opts: StartOptions = {}, listenerWfs: Workflow[] = []): Promise<RunState> {
    const { run, write } = await this.newRun(wf, opts, listenerWfs);
    await this.store.tx(write);
    return run;
  }

  private async newRun(wf: Workflow, opts: StartOptions, listenerWfs: Workflow[]): Promise<{ run: RunState; write: () => Promise<void> }> {
    // Time-ordered ids (UUIDv7, same text form as v4): inserts append to the run indexes instead of touching
    // random b-tree pages, which makes each commit write far fewer pages.
    const runId = opts.runId ?? Bun.randomUUIDv7();
    const vars: Vars = { ...(opts.vars ?? {}) };
    ensureLimits(vars);
    vars._runtime = { ...readRuntime(vars) }; // a copy: the caller's object is not mutated
    const rt = runtimeSection(vars);
    delete rt.tree;
    const parentRunId = opts.parentRunId ?? null;
    let tree: { root: string; depth: number } | null = null;
    if (parentRunId) {
      const parent = opts.parent ?? (await this.store.runs.get(parentRunId));
      const p = parent ? treeOf(parent) : { root: parentRunId, depth: 0 };
      tree = { root: p.root, depth: p.depth + 1 };
      const lim = this.treeLimits;
      if (tree.depth > lim.maxSubflowDepth) {
        throw new Conflict(
          `Subflow depth limit reached: '${wf.workflow_id}' would run ${tree.depth} levels below its root run ${p.root} ` +
            `(limit ${lim.maxSubflowDepth}; raise it with ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH)`,
          'subflow_depth_limit',
        );
      }
      rt.tree = tree;
    }
    if (this.defaults.provider && rt.provider === undefined) rt.provider = this.defaults.provider;
    if (this.defaults.model && rt.model === undefined) rt.model = this.defaults.model;
    const listenerVars = listenerWfs.length ? structuredClone(vars) : vars;
    // The root's first tick parks its listeners on their event waits before the root itself runs.
    if (listenerWfs.length) rt.listeners_pending = true;
    const now = this.clock.nowIso();
    const run: RunState = {
      run_id: runId,
      workflow_id: wf.workflow_id,
      status: 'running',
      current_node: wf.entry_node,
      vars,
      waiting: null,
      output: null,
      error: null,
      created_at: now,
      updated_at: now,
      actor_id: opts.actorId === undefined ? GATEWAY_ACTOR : opts.actorId,
      session_id: opts.sessionId || runId,
      parent_run_id: opts.parentRunId ?? null,
    };
    const write = async () => {
      if (tree) await this.countTreeRun(tree.root, wf.workflow_id);
      await this.store.runs.save(run);
      for (const lw of listenerWfs) {
        await this.store.runs.save({
          ...run,
          run_id: Bun.randomUUIDv7(),
          workflow_id: lw.workflow_id,
          current_node: lw.entry_node,
          vars: { ...structuredClone(listenerVars), _temp: {} },
          parent_run_id: run.run_id,
        });
      }
      this.store.notifier.queueRunChange();
    };
    return { run, write };
  }

  /** Counts a new run in its root's tree (same transaction as its insert); throws past the limit. */
  private async countTreeRun(root: string, workflowId: string): Promise<void> {
    const max = this.treeLimits.maxTreeRuns;
    const n = await this.store.runs.bumpTreeCount(root);
    if (n > max) {
      throw new Conflict(
        `Run tree limit reached: root run ${root} already started ${max} runs, so '${workflowId}' was not started ` +
          `(limit ${max}; raise it with ABSTRACTGATEWAY_MAX_TREE_RUNS)`,
        'tree_run_limit',
      );
    }
  }

  /**
   * Group commit: `write` runs in the next shared immediate transaction (scheduled right after the current burst of
   * work), and the promise resolves once it is durable. Many ticks and starts in flight share one commit instead
   * of paying one each. Each write is its own savepoint, so one failing write does not undo the others.
   */
  commitSoon(write: () => Promise<void> | void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.commitQueue.push({ write, resolve, reject });
      if (this.commitScheduled) return;
      this.commitScheduled = true;
      setImmediate(() => this.flushCommits());
    });
  }

  private async flushCommits(): Promise<void> {
    this.commitScheduled = false;
    const batch = this.commitQueue.splice(0);
    const failed = new Map<number, unknown>();
    try {
      await this.store.tx(async () => {
        for (const [i, item] of batch.entries()) {
          try {
            await this.store.savepoint(item.write);
          } catch (err) {
            failed.set(i, err);
          }
        }
      });
    } catch (err) {
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => (failed.has(i) ? item.reject(failed.get(i)) : item.resolve()));
  }

  // ---- tick ----------------------------------------------------------------------------------------------

  /**
   * Advances a run by at most `maxSteps` node steps. Returns the run as committed. Ticks of one run never overlap:
   * a second caller (the runner, while a parent ticks its sync child inline) waits for the first to finish.
   */
  async tick(runId: string, maxSteps = 100, claimOwner: string | null = null): Promise<RunState> {
    try {
      return await this.tickSerial(runId, maxSteps, claimOwner);
    } catch (err) {
      throw err instanceof CommitFailed ? err.cause : err;
    }
  }

  /** The runs being ticked in this process right now (the runner's and the children ticked inline). */
  tickingIds(): string[] {
    return [...this.ticking.keys()];
  }

  isTicking(runId: string): boolean {
    return this.ticking.has(runId);
  }

  /** `tick`, a refused commit still wrapped in CommitFailed (so that a parent ticking this run inline stops too). */
  private async tickSerial(runId: string, maxSteps: number, claimOwner: string | null): Promise<RunState> {
    for (let cur = this.ticking.get(runId); cur; cur = this.ticking.get(runId)) await cur.catch(() => {});
    const t0 = this.store.notifier.observed ? performance.now() : 0;
    const p = this.tickNow(runId, maxSteps, claimOwner);
    this.ticking.set(runId, p);
    try {
      return await p;
    } finally {
      if (t0) this.store.notifier.timing('tick', performance.now() - t0);
      if (this.ticking.get(runId) === p) this.ticking.delete(runId);
    }
  }

  /**
   * Ticks a child inline from its parent's tick (a sync subflow, listeners, a compaction helper). With many
   * runners the child is claimed by the parent's runner first; when another runner holds it, it is left to that
   * runner and returned as stored. `owner` is the parent tick's claim owner (read from its tick state unless given:
   * the root's listeners are ticked before that state exists).
   */
  async tickChild(parentRunId: string, childRunId: string, maxSteps: number, owner: string | null = this.tickStates.get(parentRunId)?.claimOwner ?? null): Promise<RunState> {
    return (await this.tryTickChild(childRunId, maxSteps, owner)).run;
  }

  /** `tickChild`; `held` when another runner (or a dead one whose claim has not lapsed) holds the child. */
  private async tryTickChild(childRunId: string, maxSteps: number, owner: string | null): Promise<{ run: RunState; held: boolean }> {
    if (!owner || !this.store.multiRunner) return { run: await this.tickSerial(childRunId, maxSteps, owner), held: false };
    const now = Date.now(); // claims are liveness between processes: wall-clock time, never the runtime's clock
    const claimed = await this.store.claims.claimRun(owner, childRunId, now, now + this.claimMs)
      .catch((err) => { throw new CommitFailed(err); }); // the store refused: the parent's tick stops, not fails
    if (!claimed) {
      const cur = await this.store.runs.get(childRunId);
      if (!cur) throw new RunNotFound(childRunId);
      return { run: cur, held: true };
    }
    try {
      return { run: await this.tickSerial(childRunId, maxSteps, owner), held: false };
    } finally {
      await this.store.claims.release(owner, [childRunId]).catch(() => {});
    }
  }

  private async tickNow(runId: string, maxSteps: number, claimOwner: string | null): Promise<RunState> {
    const stored = await this.store.runs.get(runId);
    if (!stored) throw new RunNotFound(runId);
    let run = stored;
    if (isTerminal(run.status) || isPaused(run)) return run;
    if (run.status === 'waiting') {
      const w = run.waiting;
      if (w?.reason !== 'until' || !w.until || this.clock.nowIso() < w.until) return run;
      run.status = 'running';
      run.waiting = null;
      if (w.resume_to_node) run.current_node = w.resume_to_node;
    }
    if (readRuntime(run.vars).listeners_pending) {
      // Listeners first, so that nothing the root emits early is missed (they park on their first wait).
      let held = false;
      for (const child of await this.store.runs.children(runId)) {
        // The root's claim owner is passed: this tick's state does not exist yet, and without an owner the listener
        // would be ticked unclaimed and unfenced, beside a runner that claimed it directly (a duplicated park).
        if (child.status === 'running' && child.workflow_id !== run.workflow_id) {
          held = (await this.tryTickChild(child.run_id, 10, claimOwner)).held || held;
        }
      }
      if (held) {
        // A listener is held by another runner (or by a dead one until its claim lapses): the root must not run
        // before it is parked, or an event the root emits at once would be missed. Nothing is committed; the
        // root is ticked again shortly (the short pause keeps the runner from spinning on it meanwhile).
        await new Promise((r) => setTimeout(r, 100));
        return (await this.store.runs.get(runId)) ?? stored;
      }
      delete runtimeSection(run.vars).listeners_pending;
    }
    const controller = new AbortController();
    this.inflight.set(runId, controller);
    const pending: StepRecord[] = [];
    const t = new TickState(this, run, pending, claimOwner);
    this.tickStates.set(runId, t);
    try {
      const wf = await this.getWorkflow(run.workflow_id);
      for (let i = 0; i < maxSteps && run.status === 'running'; i++) {
        if (controller.signal.aborted) break;
        await this.step(wf, t, controller.signal);
      }
      await t.flush();
      return run;
    } catch (err) {
      if (controller.signal.aborted) return (await this.store.runs.get(runId)) ?? run;
      // The store refused a commit (a lost claim, a deadlock, a dropped connection): nothing of this tick after
      // the last commit is durable; the run is ticked again from its stored checkpoint, like after a crash. A
      // parent ticking this run inline stops as well (see step), rather than failing on its child's refusal.
      if (err instanceof CommitFailed) throw err;
      // A node that throws fails the run with a ledger record, never leaving it stuck in `running`.
      const message = `${err instanceof Error ? err.name : 'Error'}: ${err instanceof Error ? err.message : String(err)}`;
      run.status = 'failed';
      run.error = message;
      run.waiting = null;
      pending.push(tickExceptionRecord(run, message));
      t.terminal();
      await t.flush();
      return run;
    } finally {
      this.inflight.delete(runId);
      if (this.tickStates.get(runId) === t) this.tickStates.delete(runId);
    }
  }

  /** Aborts the effect a tick is running for this run (cancel/pause while an LLM call is in flight). */
  abortInflight(runId: string): boolean {
    const c = this.inflight.get(runId);
    if (!c) return false;
    c.abort();
    return true;
  }

  /** Aborts every tick in flight (gateway shutdown): their steps are not committed and re-run after restart. */
  abortAllInflight(): void {
    for (const c of this.inflight.values()) c.abort();
  }

  isInflight(runId: string): boolean {
    return this.inflight.has(runId);
  }

  private async step(wf: Workflow, t: TickState, signal: AbortSignal): Promise<void> {
    const run = t.run;
    const plan = await wf.step(run, this.ctx);
    const nodeId = plan.node_id || run.current_node;
    if (plan.complete_output) {
      run.status = 'completed';
      run.output = plan.complete_output;
      t.pending.push(completionRecord(run, nodeId, { completed: true, output: plan.complete_output }));
      t.terminal();
      return;
    }
    if (!plan.effect) {
      if (!plan.next_node) throw new RuntimeError(`Node '${nodeId}' returned no effect and no next_node`);
      run.current_node = plan.next_node;
      return;
    }
    const effect = { type: plan.effect.type, payload: plan.effect.payload ?? {}, result_key: plan.effect.result_key ?? null };
    const key = idempotencyKey(run.run_id, nodeId, effect.type, effect.payload);
    const next = plan.next_node ?? null;
    const prior = await t.findCompleted(key);
    if (prior) return applyOutcome(t, effect, { status: 'completed', result: prior.result }, next);
    const reg = this.effects.get(effect.type);
    const started = effectRecord(run, nodeId, effect, key, 'started');
    t.pending.push(started);
    if (reg?.external) await t.flush();
    let outcome: EffectOutcome;
    if (!reg) outcome = { status: 'failed', error: `No effect handler registered for ${effect.type}` };
    else if (reg.atomic) {
      // The handler's writes, both records and the step's resulting checkpoint commit as one transaction, so a
      // replay never sees the effect's writes without its completion (nor a half-computed step).
      const ctx = { run, effect, nextNode: next, nodeId, idempotencyKey: key, nowIso: this.ctx.nowIso, signal };
      await t.flushWith(async () => {
        let o: EffectOutcome;
        try {
          o = await reg.handler(ctx);
        } catch (err) {
          o = { status: 'failed', error: `Effect handler raised exception: ${err instanceof Error ? err.message : String(err)}` };
        }
        t.pending.push(endRecord(started, o));
        applyOutcome(t, effect, o, next);
      });
      this.store.fault('effect.atomic_committed');
      return;
    } else {
      try {
        outcome = await reg.handler({ run, effect, nextNode: next, nodeId, idempotencyKey: key, nowIso: this.ctx.nowIso, signal });
      } catch (err) {
        if (err instanceof CommitFailed) throw err; // a child's commit (or start) was refused: this tick stops too
        outcome = { status: 'failed', error: `Effect handler raised exception: ${err instanceof Error ? err.message : String(err)}` };
      }
    }
    // Interrupted by cancel/pause: drop the outcome; the `started` record stays and the node re-runs later.
    if (signal.aborted) return;
    t.pending.push(endRecord(started, outcome));
    applyOutcome(t, effect, outcome, next);
  }

  // ---- resume / control ----------------------------------------------------------------------------------

  /**
   * Answers a wait with a durable payload (resume marker in the ledger) and commits. Throws RunNotFound,
   * RunPaused, RunNotWaiting or WaitKeyMismatch.
   */
  resume(runId: string, payload: Vars, waitKey?: string | null): Promise<RunState> {
    return this.store.tx(async () => {
      const run = await this.store.runs.get(runId);
      if (!run) throw new RunNotFound(runId);
      await this.applyResume(run, payload, waitKey ?? null);
      return run;
    });
  }

  /** Resume logic on a loaded run, inside the caller's transaction. */
  async applyResume(run: RunState, payload: Vars, waitKey: string | null): Promise<void> {
    if (isPaused(run)) throw new RunPaused();
    const w = run.waiting;
    if (run.status !== 'waiting' || !w) throw new RunNotWaiting();
    if (waitKey && w.wait_key && waitKey !== w.wait_key) {
      throw new WaitKeyMismatch(w.wait_key, waitKey);
    }
    const records: StepRecord[] = [];
    let stored = payload;
    for (const hook of this.resumeHooks.values()) {
      const r = hook(run, w, payload);
      if (!r) continue;
      if ('reenter' in r) {
        records.push(resumeRecord(run, w, payload));
        run.waiting = null;
        run.status = 'running';
        await this.commit(run, records);
        return;
      }
      stored = r.payload;
      break;
    }
    if (w.result_key) setPath(run.vars, w.result_key, stored);
    records.push(resumeRecord(run, w, stored));
    run.waiting = null;
    if (!w.resume_to_node) {
      run.status = 'completed';
      run.output = { success: true, result: stored };
      records.push(
        completionRecord(run, run.current_node, {
          completed: true, via: 'resume', wait_reason: w.reason, wait_key: w.wait_key, output: run.output,
        }),
      );
      records.push(terminalStatusRecord(run));
    } else {
      run.status = 'running';
      run.current_node = w.resume_to_node;
    }
    await this.commit(run, records);
  }

  pause(runId: string, reason?: string | null): Promise<RunState | null> {
    return this.store.tx(async () => {
      const run = await this.store.runs.get(runId);
      if (!run || isTerminal(run.status) || isPaused(run)) return run;
      if (run.status === 'waiting' && run.waiting?.reason === 'user' && run.waiting.details?.kind !== 'pause') return run;
      const control = controlOf(run);
      control.paused = true;
      control.paused_at = this.clock.nowIso();
      if (reason) control.pause_reason = reason;
      else delete control.pause_reason;
      if (run.status === 'running') {
        run.status = 'waiting';
        run.waiting = pauseWait(run);
      }
      await this.commit(run, []);
      return run;
    });
  }

  resumeRun(runId: string): Promise<RunState | null> {
    return this.store.tx(async () => {
      const run = await this.store.runs.get(runId);
      if (!run || isTerminal(run.status) || !isPaused(run)) return run;
      const control = controlOf(run);
      delete control.paused;
      delete control.pause_reason;
      control.resumed_at = this.clock.nowIso();
      if (run.waiting?.details?.kind === 'pause') {
        run.status = 'running';
        run.current_node = run.waiting.resume_to_node ?? run.current_node;
        run.waiting = null;
      }
      await this.commit(run, []);
      // A child that finished while this parent was paused: deliver its result now.
      if (run.status === 'waiting' && run.waiting?.reason === 'subworkflow') await this.resumeParentIfChildDone(run);
      return run;
    });
  }

  cancel(runId: string, reason?: string | null): Promise<RunState | null> {
    return this.store.tx(async () => {
      const run = await this.store.runs.get(runId);
      if (!run || isTerminal(run.status)) return run;
      run.status = 'cancelled';
      run.error = reason || 'Cancelled';
      run.waiting = null;
      clearPause(run);
      await this.commit(run, [terminalStatusRecord(run)]);
      await this.onTerminal(run);
      return run;
    });
  }

  /** Run ids of the run and all its descendants, breadth first. */
  async tree(runId: string): Promise<string[]> {
    const out: string[] = [];
    const queue = [runId];
    const seen = new Set<string>();
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(id);
      for (const c of await this.store.runs.children(id)) queue.push(c.run_id);
    }
    return out;
  }

  // ---- internals shared with TickState and effects --------------------------------------------------------

  /** Saves the run and appends records in the current transaction. */
  commit(run: RunState, records: StepRecord[]): Promise<void> {
    run.updated_at = this.clock.nowIso();
    return this.store.tx(async () => {
      // Many processes: lock the run's row before its ledger (every path takes them in this order: no deadlock).
      if (this.store.multiRunner) await this.store.runs.updatedAt(run.run_id);
      for (const r of records) await this.store.ledger.append(stripHash(r));
      // An event held while this listener was paused is delivered as soon as it waits on that key again.
      const held = takeHeldEvent(run);
      if (held) return this.applyResume(run, held, run.waiting!.wait_key);
      await this.store.runs.save(run);
      if (run.status === 'running') this.store.notifier.queueRunChange();
    });
  }

  /** A run reached a terminal state: resume a parent waiting on it (same transaction as the caller). */
  async onTerminal(child: RunState): Promise<void> {
    if (!child.parent_run_id) return;
    const parent = await this.store.runs.get(child.parent_run_id);
    if (!parent || parent.status !== 'waiting' || parent.waiting?.wait_key !== `subworkflow:${child.run_id}`) return;
    if (isPaused(parent)) return; // delivered by resumeRun / the runner's repair scan
    await this.applyResume(parent, childResult(child, parent.waiting), parent.waiting.wait_key);
  }

  /** Repair: a parent waiting on a child that is already terminal gets the child's result. */
  async resumeParentIfChildDone(parent: RunState): Promise<boolean> {
    const subId = parent.waiting?.details?.sub_run_id;
    if (parent.status !== 'waiting' || parent.waiting?.reason !== 'subworkflow' || typeof subId !== 'string') return false;
    if (isPaused(parent)) return false;
    const child = await this.store.runs.get(subId);
    if (!child || !isTerminal(child.status)) return false;
    const waitKey = parent.waiting.wait_key;
    return this.store.tx(async () => {
      // With many processes the parent is read again (locked) so a stale copy never overwrites newer state; the
      // caller's object is brought up to date with what was committed.
      const cur = this.store.multiRunner ? await this.store.runs.get(parent.run_id) : parent;
      if (!cur || cur.status !== 'waiting' || cur.waiting?.wait_key !== waitKey || isPaused(cur)) return false;
      await this.applyResume(cur, childResult(child, cur.waiting), waitKey);
      if (cur !== parent) Object.assign(parent, cur);
      return true;
    });
  }
}

/** Per-tick working state: the in-memory run and the records not yet committed. */
class TickState {
  private terminalPending = false;
  private baseUpdatedAt: string;
  constructor(readonly rt: Runtime, readonly run: RunState, readonly pending: StepRecord[], readonly claimOwner: string | null) {
    this.baseUpdatedAt = run.updated_at;
  }

  /**
   * Inside a transaction: this tick still holds its claim (without locking the row) and nobody else committed to
   * the run since this tick loaded it (or last committed it).
   */
  async stillCurrent(): Promise<boolean> {
    const store = this.rt.store;
    if (this.claimOwner && !(await store.claims.holds(this.claimOwner, this.run.run_id, Date.now(), false))) return false;
    return (await store.runs.updatedAt(this.run.run_id)) === this.baseUpdatedAt;
  }

  /** Records of `key` that ended (any status but `started`) among those not committed yet. */
  pendingEnded(key: string): number {
    let n = 0;
    for (const r of this.pending) if (r.idempotency_key === key && r.status !== 'started') n++;
    return n;
  }

  async findCompleted(key: string): Promise<StepRecord | null> {
    for (const r of this.pending) if (r.idempotency_key === key && r.status === 'completed') return r;
    return this.rt.store.ledger.findCompleted(this.run.run_id, key);
  }

  terminal(): void {
    this.pending.push(terminalStatusRecord(this.run));
    this.terminalPending = true;
  }

  /**
   * Commits the working copy. A command applied while this tick was in flight (cancel, pause, resume_run) wins:
   * a cancelled run is left as it is; pause flags are adopted, and a running run parks in a pause wait.
   */
  flush(): Promise<void> {
    return this.flushWith(() => undefined).then(() => {});
  }

  /**
   * Commits the working copy with `inner`'s writes in the same transaction (`inner` runs first and may add
   * records). Resolves with `inner`'s result, or undefined when the run ended meanwhile (then `inner` did not run).
   */
  flushWith<T>(inner: () => Promise<T> | T): Promise<T | undefined> {
    const run = this.run;
    let result: T | undefined;
    return this.rt.commitSoon(async () => {
      const store = this.rt.store;
      if (this.claimOwner && !(await store.claims.holds(this.claimOwner, run.run_id, Date.now()))) {
        throw claimLost(run.run_id);
      }
      // Cheap check first: only a run changed by someone else since this tick loaded it needs merging.
      const cur = (await store.runs.updatedAt(run.run_id)) === this.baseUpdatedAt ? null : await store.runs.get(run.run_id);
      if (cur && isTerminal(cur.status)) {
        this.pending.splice(0);
        this.terminalPending = false;
        Object.assign(run, cur);
        return;
      }
      result = await inner();
      const records = this.pending.splice(0);
      const terminal = this.terminalPending;
      this.terminalPending = false;
      if (cur) {
        const control = readRuntime(cur.vars).control;
        if (isPlainObject(control)) runtimeSection(run.vars).control = control;
        if (isPaused(run) && run.status === 'running') {
          run.status = 'waiting';
          run.waiting = pauseWait(run);
        }
      }
      await this.rt.commit(run, records);
      // A child that ended before this wait was committed (the runner ticked it meanwhile): its result now, in
      // this transaction, rather than at the runner's next repair scan.
      if (run.status === 'waiting' && run.waiting?.reason === 'subworkflow') await this.rt.resumeParentIfChildDone(run);
      this.baseUpdatedAt = run.updated_at;
      if (terminal) await this.rt.onTerminal(run);
    }).then(() => result, (err) => { throw new CommitFailed(err); });
  }
}

function pauseWait(run: RunState): WaitState {
  return {
    reason: 'user', wait_key: `pause:${run.run_id}`, until: null, resume_to_node: run.current_node,
    result_key: null, prompt: 'Paused', choices: null, allow_free_text: false, details: { kind: 'pause' },
  };
}

/** Moves the run on from an effect's outcome (synchronous, so it can run inside a commit). */
function applyOutcome(t: TickState, effect: EffectSpec, outcome: EffectOutcome, next: string | null): void {
  const run = t.run;
  if (outcome.status === 'failed') {
    run.status = 'failed';
    run.error = outcome.error;
    t.terminal();
    return;
  }
  if (outcome.status === 'waiting') {
    run.status = 'waiting';
    run.waiting = outcome.wait;
    return;
  }
  if (effect.result_key && outcome.result !== null && outcome.result !== undefined) {
    setPath(run.vars, effect.result_key, outcome.result);
  }
  if (run.status !== 'running') return; // an effect (e.g. a sync subworkflow) may have settled the run
  if (!next) {
    run.status = 'completed';
    run.output = { success: true, result: outcome.result };
    t.terminal();
    return;
  }
  run.current_node = next;
}

function endRecord(started: StepRecord, outcome: EffectOutcome): StepRecord {
  const end: StepRecord = { ...started, ended_at: nowIso(), status: outcome.status };
  if (outcome.status === 'completed') end.result = outcome.result ?? null;
  else if (outcome.status === 'waiting') end.result = { wait: { ...outcome.wait } };
  else end.error = outcome.error;
  return end;
}

function stripHash(r: StepRecord) {
  const { prev_hash: _p, record_hash: _h, signature: _s, ...rest } = r;
  return rest;
}

/** The payload a parent receives when its child run ends (docs/runtime.md "Effects"). */
export function childResult(child: RunState, wait: Pick<WaitState, 'details'>): Vars {
  let output: Vars;
  if (child.status === 'completed') output = isPlainObject(child.output) ? child.output : { result: child.output };
  else {
    output = { result: null, success: false, error: child.error ?? child.status };
    if (child.status === 'cancelled') output.cancelled = true;
  }
  const payload: Vars = { sub_run_id: child.run_id, output };
  if (wait.details?.include_traces) payload.node_traces = nodeTracesOf(child.vars);
  return payload;
}
