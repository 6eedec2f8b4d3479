// The global error plugin on a small app of its own: every failure becomes `{"detail", "code"}`.
import { describe, expect, test } from 'bun:test';
import { Elysia } from 'elysia';
import { z } from 'zod';
import { describeValidation, errorPlugin } from '../../src/http/errors.ts';
import { Conflict, RunNotFound } from '../../src/model/index.ts';

const app = new Elysia()
  .use(errorPlugin)
  .get('/gateway', () => { throw new Conflict('already there', 'conflict_x'); })
  .get('/run', () => { throw new RunNotFound('r1'); })
  .get('/boom', () => { throw new Error('secret internals at /srv/x.ts:12'); })
  .get('/bad-response', () => ({ n: 'not a number' }) as unknown as { n: number }, { response: z.object({ n: z.number() }) })
  .post('/body', ({ body }) => body, { body: z.object({ nested: z.object({ count: z.number().int() }) }) });

const call = async (path: string, init?: RequestInit) => {
  const res = await app.handle(new Request(`http://localhost${path}`, init));
  return { status: res.status, body: await res.json() as { detail: string; code: string } };
};

describe('error plugin', () => {
  test('a domain error gets the status of its kind, keeps its message and code', async () => {
    expect(await call('/gateway')).toEqual({ status: 409, body: { detail: 'already there', code: 'conflict_x' } });
    expect(await call('/run')).toEqual({ status: 404, body: { detail: "Run 'r1' not found", code: 'run_not_found' } });
  });

  test('an unexpected exception is a 500 without internals', async () => {
    const orig = console.error;
    console.error = () => {};
    try {
      const r = await call('/boom');
      expect(r).toEqual({ status: 500, body: { detail: 'Internal server error', code: 'internal' } });
      // a handler returning the wrong shape is our bug, not the client's: 500, not 422
      expect((await call('/bad-response')).status).toBe(500);
    } finally {
      console.error = orig;
    }
  });

  test('validation names the nested field', async () => {
    const r = await call('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nested: { count: 1.5 } }) });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.detail).toStartWith("Invalid body field 'nested.count':");
  });

  test('a missing body is reported as the body, not as a field', async () => {
    const r = await call('/body', { method: 'POST' });
    expect(r.status).toBe(422);
    expect(r.body.detail).toBe('Invalid body: Invalid input: expected object, received undefined');
  });

  test('describeValidation handles typebox-style paths and empty issue lists', () => {
    expect(describeValidation('query', [{ path: '/limit', summary: 'Expected number' }])).toBe("Invalid query field 'limit': Expected number");
    expect(describeValidation('body', [])).toBe('Invalid body');
  });
});
