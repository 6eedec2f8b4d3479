// The engine's only boundary to sibling modules (builtins, Python value semantics, the agent workflow id).

export { pyStr, toFloat, toJsonValue, truthy } from '../values.ts';

export { BUILTINS, isBuiltin, LITERAL_TYPES } from '../builtins/index.ts';

export { codeFromBody, codeNodeOutput, runPythonCode, validatePythonCode } from '../builtins/code.ts';

export { AGENT_WORKFLOW_ID } from '../../llm/agent.ts';
