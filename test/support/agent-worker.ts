// Child process for the agent crash test: the production core (createGateway) on a data dir, tool mode local, the
// LLM provider pointed at the parent's stub. Starts one agent run on first start, then drives it to the end.
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { AGENT_WORKFLOW_ID } from '../../src/llm/agent.ts';
import type { SqliteStore } from '../../src/store/index.ts';

const [dataDir, stubUrl, workspace] = process.argv.slice(2) as [string, string, string];
const config = { ...loadConfig({}, { dataDir, flowsDir: `${dataDir}/flows` }), pollMs: 10 };
const gw = await createGateway(config, {
  env: { LMSTUDIO_BASE_URL: `${stubUrl}/v1`, ABSTRACTGATEWAY_TOOL_MODE: 'local', ABSTRACTGATEWAY_LLM_MAX_ATTEMPTS: '1' },
  log: () => {},
});
if ((await gw.store.runs.count()) === 0) {
  await gw.runtime.start(AGENT_WORKFLOW_ID, {
    vars: { task: 'Append three lines', provider: 'lmstudio', model: 'stub', tools: ['execute_command'], max_iterations: 10, workspace_root: workspace },
  });
}
while (!(await gw.runner.start())) await Bun.sleep(20);
for (;;) {
  const open = (gw.store as SqliteStore).db.query("SELECT COUNT(*) AS n FROM runs WHERE status NOT IN ('completed','failed','cancelled')").get() as { n: number };
  if (open.n === 0) break;
  await Bun.sleep(10);
}
await gw.close();
process.exit(0);
