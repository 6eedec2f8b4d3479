// The global error plugin on a small app of its own: every failure becomes `{"detail", "code"}`.
import { describe, expect, test } from 'bun:test';
import { Elysia } from 'elysia';
import { z } from 'zod';
import { describeValidation, errorPlugin, scrubPaths } from '../../src/http/errors.ts';
import { Conflict, InternalFailure, InvalidInput, RunNotFound } from '../../src/model/index.ts';

const app = new Elysia()
  .use(errorPlugin)
  .get('/gateway', () => { throw new Conflict('already there', 'conflict_x'); })
  .get('/run', () => { throw new RunNotFound('r1'); })
  .get('/io', () => { throw new InternalFailure("Failed to install bundle: ENAMETOOLONG: name too long, open '/var/lib/gw/flows/x.flow'", 'install_failed'); })
  .get('/leaky', () => { throw new InvalidInput('the flows path /var/lib/gw/flows is a single bundle'); })
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
      expect(r.status).toBe(500);
      expect(r.body.code).toBe('internal');
      expect(r.body.detail).toStartWith('Internal server error (request id ');
      expect(r.body.detail).not.toContain('secret');
      expect(r.body.detail).not.toContain('/srv');
      // an InternalFailure keeps its code, but its message (which may name files) stays in the log
      const io = await call('/io');
      expect(io.status).toBe(500);
      expect(io.body.code).toBe('install_failed');
      expect(io.body.detail).toStartWith('Failed to install bundle (request id ');
      expect(io.body.detail).not.toContain('/var');
      // a handler returning the wrong shape is our bug, not the client's: 500, not 422
      expect((await call('/bad-response')).status).toBe(500);
    } finally {
      console.error = orig;
    }
  });

  test('no error body carries an absolute server path', async () => {
    expect((await call('/leaky')).body).toEqual({ detail: 'the flows path <path> is a single bundle', code: 'bad_request' });
    expect(scrubPaths("open 'C:\\data\\gw\\x.flow' failed")).toBe("open '<path>' failed");
    expect(scrubPaths("bundle_version '1.0/../../x' is not safe")).toBe("bundle_version '1.0/../../x' is not safe"); // relative: the client's own text
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
