// The crash soak's workload: one `.flow` bundle built from the project's own VisualFlow builders (no ../shared),
// and the kinds of work items the driver pushes through the HTTP API, each with what it must end as.
import { strToU8, zipSync } from 'fflate';
import { end, flow, getVar, n, setVar, start } from '../../test/support/visualflow.ts';

export const BUNDLE_ID = 'soak';
export const BUNDLE_VERSION = '1.0.0';
export const LOOP_N = 12;
export const EVENT_NAME = 'soak.ping';

export const KINDS = ['trivial', 'loop', 'ask', 'wait', 'subflow', 'event', 'schedule'] as const;
export type Kind = (typeof KINDS)[number];

const ask = (id: string, prompt: string) => n(id, 'ask_user', { in: ['exec-in', 'prompt', 'choices'], out: ['exec-out', 'response'], pinDefaults: { prompt } });

/** The bundle's flows (VisualFlow JSON, run by the real engine). */
export function soakFlows(): Record<string, Record<string, unknown>> {
  return {
    trivial: flow('trivial', [start('s', ['x']), end('e', ['x'])], ['s.exec-out>e.exec-in', 's.x>e.x']),
    loop: flow(
      'loop',
      [
        start('s'),
        n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: LOOP_N } }),
        setVar('add', 'visited'),
        getVar('add_get', 'visited'),
        n('add_app', 'array_append', { in: ['array', 'item'], out: ['result'] }),
        getVar('gv', 'visited'),
        end('e', ['visited']),
      ],
      ['s.exec-out>for.exec-in', 'for.loop>add.exec-in', 'for.done>e.exec-in', 'add_get.value>add_app.array', 'for.i>add_app.item', 'add_app.result>add.value', 'gv.value>e.visited'],
    ),
    ask: flow('ask', [start('s'), ask('q', 'Name?'), end('e', ['name'])], ['s.exec-out>q.exec-in', 'q.exec-out>e.exec-in', 'q.response>e.name']),
    wait: flow(
      'wait',
      [start('s'), n('d', 'wait_until', { in: ['exec-in', 'duration'], out: ['exec-out'], pinDefaults: { duration: 0.3 }, effectConfig: { durationType: 'seconds' } }), end('e')],
      ['s.exec-out>d.exec-in', 'd.exec-out>e.exec-in'],
    ),
    parent: flow(
      'parent',
      [start('s', ['x']), n('sub', 'subflow', { in: ['exec-in', 'x'], out: ['exec-out', 'output'], subflowId: 'trivial' }), end('e', ['out'])],
      ['s.exec-out>sub.exec-in', 's.x>sub.x', 'sub.exec-out>e.exec-in', 'sub.output>e.out'],
    ),
    // The root completes at once; its on_event node is a listener child parked in the session (and re-arming).
    listen: flow(
      'listen',
      [start('s'), end('e'), n('on', 'on_event', { out: ['exec-out', 'payload', 'event'], eventConfig: { name: EVENT_NAME, scope: 'session' } }), setVar('got', 'got')],
      ['s.exec-out>e.exec-in', 'on.exec-out>got.exec-in', 'on.payload>got.value'],
    ),
    emit: flow(
      'emit',
      [start('s', ['i']), n('em', 'emit_event', { in: ['exec-in', 'name', 'scope', 'payload'], out: ['exec-out', 'delivered'], pinDefaults: { name: EVENT_NAME } }), end('e', ['delivered'])],
      ['s.exec-out>em.exec-in', 's.i>em.payload', 'em.exec-out>e.exec-in', 'em.delivered>e.delivered'],
    ),
  };
}

/** The bundle as `.flow` zip bytes. */
export function soakBundle(): Uint8Array {
  const flows = soakFlows();
  const manifest = {
    bundle_format_version: '1',
    bundle_id: BUNDLE_ID,
    bundle_version: BUNDLE_VERSION,
    created_at: '2026-12-01T00:00:00Z',
    entrypoints: Object.keys(flows).map((f) => ({ flow_id: f, name: f, description: '', interfaces: [] })),
    default_entrypoint: 'trivial',
    flows: Object.fromEntries(Object.keys(flows).map((f) => [f, `flows/${f}.json`])),
    metadata: { soak: true },
  };
  const files: Record<string, Uint8Array> = { 'manifest.json': strToU8(JSON.stringify(manifest)) };
  for (const [f, doc] of Object.entries(flows)) files[`flows/${f}.json`] = strToU8(JSON.stringify(doc));
  return zipSync(files);
}
