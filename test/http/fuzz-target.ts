// The fuzzer's target: a live gateway (test/http/live.ts, runner off so nothing writes between requests) seeded
// with one bundle, one run and one command, so hostile requests can reach past "not found".
import { LIVE_AUTH, LIVE_TOKEN, startLive, type Live } from './live.ts';
import type { FuzzTarget } from '../support/fuzz.ts';

export async function startFuzzTarget(env: Record<string, string> = {}): Promise<{ live: Live; target: FuzzTarget }> {
  const live = await startLive({ ABSTRACTGATEWAY_BODY_TIMEOUT_S: '2', ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S: '2', ...env });
  const headers = { ...LIVE_AUTH, 'content-type': 'application/json' };
  const start = await fetch(`${live.base}/api/gateway/runs/start`, { method: 'POST', headers, body: '{"bundle_id":"demo"}' });
  const { run_id } = (await start.json()) as { run_id: string };
  const command_id = crypto.randomUUID();
  await fetch(`${live.base}/api/gateway/commands`, { method: 'POST', headers, body: JSON.stringify({ command_id, run_id, type: 'pause', payload: {} }) });
  return {
    live,
    target: {
      base: live.base,
      port: live.port,
      token: LIVE_TOKEN,
      ids: { run_id, bundle_id: 'demo', flow_id: 'root', workflow_id: 'demo@0.0.1:root', command_id },
      fingerprint: live.changes,
    },
  };
}
