// Node registry: engine-implemented node types by family. Pure builtins (math, string, data, JSON, logic…)
// live in src/flow/builtins/ and are looked up there when a type is not listed here.

import type { NodeSpec } from '../spec.ts';
import { CODE_NODES } from './code.ts';
import { CONTROL_NODES } from './control.ts';
import { EVENT_NODES } from './events.ts';
import { FILE_NODES } from './files.ts';
import { INTERACTION_NODES } from './interaction.ts';
import { LLM_NODES } from './llm.ts';
import { MEDIA_NODES } from './media.ts';
import { MEMORY_NODES } from './memory.ts';
import { SUBFLOW_NODES } from './subflow.ts';
import { VARIABLE_NODES } from './variables.ts';

export const NODE_SPECS: Readonly<Record<string, NodeSpec>> = Object.freeze({
  ...EVENT_NODES,
  ...CONTROL_NODES,
  ...VARIABLE_NODES,
  ...INTERACTION_NODES,
  ...SUBFLOW_NODES,
  ...FILE_NODES,
  ...LLM_NODES,
  ...CODE_NODES,
  ...MEMORY_NODES,
  ...MEDIA_NODES,
});

/** Types that are data-only even when the JSON carries no pin metadata (docs/flows.md "Compiling"; builtins too). */
export const PURE_WITHOUT_PINS: ReadonlySet<string> = new Set(['get_var', 'get_context', 'bool_var', 'var_decl']);

const MEDIA = 'this media task has no OpenAI-compatible endpoint this gateway speaks';
const ARTIFACT = 'workspace artifacts/PDF nodes are not supported by this gateway';
const CATALOG = 'provider/model catalogue nodes are not supported by this gateway';

/** Known reference node types this gateway rejects at compile time, with the reason. */
export const UNSUPPORTED: Readonly<Record<string, string>> = Object.freeze({
  upscale_image: MEDIA,
  image_upscale: MEDIA,
  generate_video: MEDIA,
  text_to_video: MEDIA,
  image_to_video: MEDIA,
  listen_voice: MEDIA,
  read_pdf: ARTIFACT,
  write_pdf: ARTIFACT,
  import_workspace_file: ARTIFACT,
  export_artifact: ARTIFACT,
  read_artifact: ARTIFACT,
  model_catalog: CATALOG,
  function: 'legacy `function` nodes are not supported; use a `code` node',
});
