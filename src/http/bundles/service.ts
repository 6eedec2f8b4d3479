// Bundle management on top of the registry: upload size cap, install + optional reload, remove, workflow lookup.
import { scheduleOf, SCHEDULED_PREFIX, DomainError, InternalFailure, InvalidInput, NotFound, TooLarge } from '../../model/index.ts';
import type { BundleRegistry } from '../../flow/bundle/registry.ts';
import { parseWorkflowId } from '../../flow/bundle/refs.ts';
import { describeScheduleFlow } from '../../features/schedules.ts';
import type { Store } from '../../store/index.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class BundleService {
  constructor(
    readonly registry: BundleRegistry,
    private readonly store: Store,
    private readonly maxBundleBytes: number,
  ) {}

  /** Reload failures never fail the request that triggered them; they are reported instead. */
  private reloadAfterChange(reload: boolean): { gateway_reloaded: boolean; gateway_reload_error: string | null } {
    if (!reload) return { gateway_reloaded: false, gateway_reload_error: null };
    try {
      this.registry.reload();
      return { gateway_reloaded: true, gateway_reload_error: null };
    } catch (e) {
      return { gateway_reloaded: false, gateway_reload_error: message(e) };
    }
  }

  async upload(file: File, opts: { overwrite: boolean; reload: boolean }) {
    if (file.size > this.maxBundleBytes) {
      throw new TooLarge(`Bundle too large (${file.size} bytes > ${this.maxBundleBytes} bytes)`, 'payload_too_large');
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (!bytes.byteLength) throw new InvalidInput('Uploaded bundle is empty', 'empty_upload');
    let info;
    try {
      info = this.registry.install(bytes, { overwrite: opts.overwrite });
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new InternalFailure(`Failed to install bundle: ${message(e)}`, 'install_failed');
    }
    return { ok: true as const, ...info, ...this.reloadAfterChange(opts.reload) };
  }

  remove(bundleId: string, version: string | undefined, reload: boolean) {
    const removed = this.registry.remove(bundleId, version ?? null);
    const ref = version && !bundleId.includes('@') ? `${bundleId}@${version}` : bundleId;
    return { ok: true as const, bundle_ref: ref, removed, ...this.reloadAfterChange(reload) };
  }

  reload() {
    try {
      const r = this.registry.reload();
      return { ok: true as const, bundle_ids: r.bundle_ids, count: r.count, errors: r.errors };
    } catch (e) {
      throw new InternalFailure(`Failed to reload bundles: ${message(e)}`, 'reload_failed');
    }
  }

  /**
   * A dynamic workflow (`scheduled:<uuid>`, described from its parent run) → `{workflow_id, flow, source}`;
   * `bundle:flow` / `bundle@ver:flow` → the bundle flow body; anything else is unknown.
   */
  async workflowFlow(workflowId: string) {
    if (workflowId.startsWith(SCHEDULED_PREFIX)) {
      const row = (await this.store.runs.list({ workflowId, limit: 1 })).items[0];
      const schedule = row ? scheduleOf((await this.store.runs.get(row.run_id))?.vars) : null;
      if (schedule) return { workflow_id: workflowId, flow: describeScheduleFlow(workflowId, schedule), source: 'dynamic' as const };
    }
    // A directory of VisualFlow JSON (one implicit bundle): its flows are also addressed by their bare id.
    const dirBundle = this.registry.directoryBundleId;
    const parts = parseWorkflowId(workflowId) ?? (dirBundle && !workflowId.includes(':') ? { bundleId: dirBundle, version: null, flowId: workflowId } : null);
    if (!parts) throw new NotFound(`Workflow '${workflowId}' not found`, 'workflow_not_found');
    try {
      return this.registry.getFlow(parts.bundleId, parts.flowId, parts.version);
    } catch (e) {
      if (e instanceof NotFound) throw new NotFound(`Workflow '${workflowId}' not found`, 'workflow_not_found');
      throw e;
    }
  }
}
