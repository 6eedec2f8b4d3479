// Namespacing (docs/flows.md "Bundles"): a bundle flow is registered as `<bundle_id>@<version>:<flow_id>` so two
// bundles can hold the same flow id. Subflow references to flows of the same bundle are rewritten to the
// namespaced id; any other reference is left as is (it must name some other registered workflow).

import { isPlainObject } from '../../model/index.ts';
import { flowNodes, nodeType, type FlowDoc } from './flowdoc.ts';
import { namespacedId, sanitizeIdPart } from './refs.ts';

const SUBFLOW_REF_KEYS = ['subflowId', 'flowId', 'workflowId', 'workflow_id'] as const;

/** Workflow id of the ReAct sub-workflow an Agent node starts. */
export const reactAgentWorkflowId = (workflowId: string, nodeId: string): string =>
  `visual_react_agent_${sanitizeIdPart(workflowId)}_${sanitizeIdPart(nodeId)}`;

/** Workflow id of the event-listener workflow derived from one `on_event` node. */
export const eventListenerWorkflowId = (workflowId: string, nodeId: string): string =>
  `visual_event_listener_${sanitizeIdPart(workflowId)}_${sanitizeIdPart(nodeId)}`;

/**
 * A deep copy of `flow` with `id` = namespaced id, intra-bundle subflow references rewritten and every
 * Agent node's `agentConfig._react_workflow_id` set (created when the node has no agentConfig).
 */
export function namespaceFlow(flow: FlowDoc, bundleId: string, version: string, flowId: string, bundleFlowIds: ReadonlySet<string>): FlowDoc {
  const workflowId = namespacedId(bundleId, version, flowId);
  const copy: FlowDoc = structuredClone(flow);
  copy.id = workflowId;
  for (const node of flowNodes(copy)) {
    const type = nodeType(node);
    if (!isPlainObject(node.data)) continue;
    const data = node.data;
    if (type === 'subflow') {
      for (const key of SUBFLOW_REF_KEYS) {
        const ref = data[key];
        if (typeof ref === 'string' && bundleFlowIds.has(ref.trim())) data[key] = namespacedId(bundleId, version, ref.trim());
      }
    } else if (type === 'agent') {
      if (!isPlainObject(data.agentConfig)) data.agentConfig = {};
      data.agentConfig._react_workflow_id = reactAgentWorkflowId(workflowId, String(node.id));
    }
  }
  return copy;
}

/** Ids of the `on_event` nodes of a flow (one listener workflow each). */
export function onEventNodeIds(flow: FlowDoc): string[] {
  return flowNodes(flow).filter((n) => nodeType(n) === 'on_event').map((n) => String(n.id));
}

/** The listener workflow for `nodeId`: the namespaced flow entered at that on_event node. */
export function eventListenerFlow(namespaced: FlowDoc, nodeId: string): FlowDoc {
  return { ...namespaced, id: eventListenerWorkflowId(String(namespaced.id), nodeId), entryNode: nodeId };
}
