// Test-only deterministic fault injection: `<point>:<n>[:kill|throw]` names a commit boundary, the occurrence at
// which to act, and the action (default `kill`: SIGKILL the own process, exactly what a power cut or `kill -9`
// does to the data directory). Armed by ABSTRACTGATEWAY_TEST_FAULT or StoreOptions.fault; never set in production.
export interface FaultSpec {
  point: string;
  n: number;
  action: 'kill' | 'throw';
}

export function parseFault(raw: string | null | undefined): FaultSpec | null {
  const v = raw?.trim();
  if (!v) return null;
  const m = /^([a-z_.]+):(\d+)(?::(kill|throw))?$/.exec(v);
  if (!m || Number(m[2]) < 1) {
    throw new Error(`ABSTRACTGATEWAY_TEST_FAULT=${JSON.stringify(v)} is invalid: expected <point>:<n>[:kill|throw], e.g. commit:3`);
  }
  return { point: m[1]!, n: Number(m[2]), action: (m[3] as 'kill' | 'throw' | undefined) ?? 'kill' };
}
