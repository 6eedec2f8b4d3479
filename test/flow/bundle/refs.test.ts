import { describe, expect, test } from 'bun:test';
import {
  parseBundleRef, parseWorkflowId, pickLatest, sanitizeBundleId, sanitizeBundleVersion, sanitizeIdPart,
} from '../../../src/flow/bundle/refs.ts';

const v = (version: string, created_at = '') => ({ version, created_at });
const latest = (...vs: { version: string; created_at: string }[]) => pickLatest(vs)?.version;

describe('bundle refs', () => {
  test('parseBundleRef', () => {
    expect(parseBundleRef('demo')).toEqual({ bundleId: 'demo', version: null });
    expect(parseBundleRef('demo@0.0.1')).toEqual({ bundleId: 'demo', version: '0.0.1' });
    expect(parseBundleRef('demo@')).toEqual({ bundleId: 'demo', version: null });
    expect(parseBundleRef('demo@0.0.1.flow')).toEqual({ bundleId: 'demo', version: '0.0.1' });
    expect(parseBundleRef('dir/demo.flow').bundleId).toBe('dir/demo.flow');
  });

  test('parseWorkflowId', () => {
    expect(parseWorkflowId('demo@1.0:root')).toEqual({ bundleId: 'demo', version: '1.0', flowId: 'root' });
    expect(parseWorkflowId('demo:root')).toEqual({ bundleId: 'demo', version: null, flowId: 'root' });
    expect(parseWorkflowId('scheduled:abc')).toEqual({ bundleId: 'scheduled', version: null, flowId: 'abc' });
    expect(parseWorkflowId('root')).toBeNull();
    expect(parseWorkflowId(':root')).toBeNull();
    expect(parseWorkflowId('demo:')).toBeNull();
  });

  test('sanitizers', () => {
    expect(sanitizeBundleId('My Flow!! v2')).toBe('My-Flow-v2');
    expect(sanitizeBundleId('--a__b--')).toBe('a__b');
    expect(sanitizeBundleVersion('1.0 beta')).toBe('1.0-beta');
    expect(sanitizeBundleVersion('draft.7dc05dbc-58d5')).toBe('draft.7dc05dbc-58d5');
    expect(sanitizeIdPart('basic-agent@0.0.0:81795ea9')).toBe('basic-agent_0_0_0_81795ea9');
    expect(sanitizeIdPart('')).toBe('unknown');
  });
});

describe('pickLatest', () => {
  test('semver when every version is dotted integers (numeric, padded)', () => {
    expect(latest(v('0.0.9', 'z'), v('0.0.10', 'a'), v('0.0.2'))).toBe('0.0.10');
    expect(latest(v('1', 'a'), v('0.9.9', 'z'))).toBe('1');
    expect(latest(v('1.0', 'b'), v('1.0.0.1', 'a'))).toBe('1.0.0.1');
  });

  test('newest created_at (then version) when any version is not semver', () => {
    expect(latest(v('0.0.9', '2026-02'), v('dev', '2026-01'))).toBe('0.0.9');
    expect(latest(v('0.0.9', '2026-01'), v('dev', '2026-02'))).toBe('dev');
    expect(latest(v('a', '2026-01'), v('b', '2026-01'))).toBe('b');
  });

  test('drafts never win while a non-draft exists', () => {
    expect(latest(v('draft.x', '2027'), v('0.0.1', '2026'))).toBe('0.0.1');
    expect(latest(v('draft.x', '2027'), v('draft.y', '2026'))).toBe('draft.x');
    expect(latest()).toBeUndefined();
  });
});
