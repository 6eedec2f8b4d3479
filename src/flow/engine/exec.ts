// One exec step's view of a run: data-pin resolution (docs/flows.md "Executing") with lazy pure evaluation, cycle
// detection and a per-step memo. Durable state lives only in run.vars (`_last_output`, `_temp.*`), so a run
// resumes in another process from its vars alone.

import type { EngineServices } from './services.ts';
import type { StepContext } from '../../runtime/types.ts';
import { type RunState, type Vars, isPlainObject, tempOf } from '../../model/index.ts';
import type { CompiledFlow, Routing } from './compile.ts';
import { BUILTINS, LITERAL_TYPES, cloneValue } from './deps.ts';
import { dataInputs, type VNode } from './model.ts';
import { NODE_SPECS } from './nodes/index.ts';
import { cloneJson, objAt } from './paths.ts';

interface ControlState {
  stack: string[];
  frames: Record<string, any>;
  /** Set when a branch end returned to this scheduler implicitly (docs/flows.md "Executing"). */
  return_to?: string;
}

/** Which base the input dict starts from (docs/flows.md "Executing"). */
type Ambient = 'function' | 'effect';

export class Exec {
  private readonly memo = new Map<string, unknown>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly flow: CompiledFlow,
    readonly run: RunState,
    readonly ctx: StepContext,
    readonly node: VNode,
    readonly services: EngineServices = {},
  ) {}

  get vars(): Vars {
    return this.run.vars;
  }

  get temp(): Vars {
    return tempOf(this.run.vars);
  }

  bucket(name: string): Vars {
    return objAt(this.temp, name);
  }

  get control(): ControlState {
    const c = objAt(this.temp, '_control');
    if (!Array.isArray(c.stack)) c.stack = [];
    if (!isPlainObject(c.frames)) c.frames = {};
    return c as ControlState;
  }

  get routing(): Routing {
    return this.flow.routes.get(this.node.id) ?? { kind: 'linear', next: null };
  }

  /** The single `exec-out` successor (null when terminal or branching). */
  get next(): string | null {
    const r = this.routing;
    return r.kind === 'linear' ? r.next : null;
  }

  get hasLastOutput(): boolean {
    return Object.hasOwn(this.run.vars, '_last_output');
  }

  get lastOutput(): unknown {
    return this.run.vars._last_output;
  }

  /** Resolved inputs of the current exec node. */
  inputs(ambient: Ambient): Promise<Vars> {
    let base: Vars = {};
    if (this.hasLastOutput) base = isPlainObject(this.lastOutput) ? { ...this.lastOutput } : {};
    else if (ambient === 'function') base = { ...this.run.vars };
    return this.resolve(this.node, base);
  }

  /** base (ambient) ← connected pins ← pinDefaults (declared pins override, undeclared only fill gaps). */
  private async resolve(node: VNode, base: Vars): Promise<Vars> {
    const out = base;
    const edges = this.flow.dataIn.get(node.id);
    const connected = new Set<string>();
    for (const [pin, src] of edges ?? []) {
      const v = await this.pinValue(src.source, src.pin);
      if (v.set) {
        out[pin] = v.value;
        connected.add(pin);
      }
    }
    const defaults = node.data.pinDefaults;
    if (isPlainObject(defaults)) {
      const declared = new Set(dataInputs(node).map((p) => p.id));
      for (const [k, v] of Object.entries(defaults)) {
        if (connected.has(k)) continue;
        if ((declared.has(k) && !edges?.has(k)) || !Object.hasOwn(out, k)) out[k] = cloneJson(v);
      }
    }
    return out;
  }

  /** Value of output pin `pin` of `source`; `set: false` when the source has no such value (pin stays unset). */
  async pinValue(source: string, pin: string): Promise<{ set: boolean; value?: unknown }> {
    const output = await this.outputOf(source);
    if (output === undefined) return { set: false };
    if (isPlainObject(output) && Object.hasOwn(output, pin)) return { set: true, value: output[pin] };
    if (pin === 'result' || pin === 'output') return { set: true, value: output };
    return { set: false };
  }

  /** Output of any node: literal, pure (evaluated now) or exec (persisted / mapped from its effect result). */
  async outputOf(id: string): Promise<unknown> {
    const node = this.flow.nodes.get(id);
    if (!node) return undefined;
    if (this.flow.pure.has(id)) return this.evalPure(node);
    return this.execOutput(id);
  }

  execOutput(id: string): unknown {
    const node = this.flow.nodes.get(id);
    const spec = node && NODE_SPECS[node.type];
    const raw = (this.temp.effects as Vars | undefined)?.[id];
    const stored = (this.temp.node_outputs as Vars | undefined)?.[id];
    if (!spec?.mapEffect || raw === undefined) return stored;
    // Mapped effect results overlay the placeholder outputs the node wrote when it issued the effect.
    const mapped = spec.mapEffect(raw, node!);
    return isPlainObject(stored) ? { ...stored, ...mapped } : mapped;
  }

  setOutput(id: string, output: unknown): void {
    this.bucket('node_outputs')[id] = output === undefined ? null : cloneValue(output);
  }

  private async evalPure(node: VNode): Promise<unknown> {
    // Compiled flows are shared across runs: hand out copies of authored values.
    if (LITERAL_TYPES.has(node.type)) return { value: cloneJson(node.data.literalValue ?? null) };
    if (this.memo.has(node.id)) return this.memo.get(node.id);
    if (this.evaluating.has(node.id)) throw new Error(`Data edge cycle detected at '${node.id}'`);
    this.evaluating.add(node.id);
    try {
      const inputs = await this.resolve(node, {});
      const spec = NODE_SPECS[node.type];
      let result: unknown;
      if (spec?.pure) {
        result = await spec.pure(this, node, inputs);
      } else {
        const fn = BUILTINS[node.type];
        if (!fn) throw new Error(`Node '${node.id}' has no data-only implementation for type '${node.type}'`);
        result = await fn(this.builtinInputs(node, inputs), node.data);
      }
      this.memo.set(node.id, result);
      return result;
    } finally {
      this.evaluating.delete(node.id);
    }
  }

  /** Builtins also receive `_literalValue` and `_pin_order` (declared non-exec input ids). */
  builtinInputs(node: VNode, inputs: Vars): Vars {
    const out: Vars = { ...inputs, _pin_order: dataInputs(node).map((p) => p.id) };
    if (node.data.literalValue !== undefined && node.data.literalValue !== null) out._literalValue = cloneJson(node.data.literalValue);
    return out;
  }
}
