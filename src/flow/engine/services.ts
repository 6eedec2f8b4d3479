// Read-only host services a node may consult while a step runs (nothing observable: writes go through
// effects). The gateway wires them from its provider configuration; without them the nodes degrade to the
// reference's behaviour when AbstractCore's registry is absent (empty lists plus an error).

export interface ProviderModelList {
  provider: string;
  models: string[];
  error?: string;
}

export interface EngineServices {
  /** The live model listing of one configured provider. */
  providerModels?(provider: string): Promise<ProviderModelList>;
  /** Names of the providers configured on this gateway (provider_catalog). */
  providerNames?: readonly string[];
  /** The gateway's default provider (when a node names none). */
  defaultProvider?: string | null;
}
