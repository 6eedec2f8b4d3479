// The engine's only boundary to sibling flow modules (builtins, Python value semantics). Shared constants such as
// the agent workflow id come from the run model (src/model/); the engine never imports src/llm/.

export { cloneValue, pyFloat, pyStr, toFloat, toJsonValue, truthy } from '../values.ts';

export { BUILTINS, isBuiltin, LITERAL_TYPES } from '../builtins/index.ts';

export { codeFromBody, codeNodeOutput, runPythonCode, validatePythonCode } from '../builtins/code.ts';
