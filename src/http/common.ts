// Schema pieces shared by the resources: query booleans the Python way, error responses for the docs.
import { z } from 'zod';
import { ErrorBody } from './errors.ts';

const TRUE = ['true', '1', 'yes', 'on'] as const;
const FALSE = ['false', '0', 'no', 'off'] as const;

/** Query/form boolean accepting true/false/1/0/yes/no/on/off (any case); anything else is a 422. */
export const zBool = (fallback: boolean) =>
  z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (typeof v === 'boolean') return v;
      const s = v.trim().toLowerCase();
      if ((TRUE as readonly string[]).includes(s)) return true;
      if ((FALSE as readonly string[]).includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: 'expected a boolean (true/false/1/0/yes/no/on/off)' });
      return z.NEVER;
    })
    .meta({ description: `boolean: true/false/1/0/yes/no/on/off (default ${fallback})` });

/** Error responses a route documents besides 200 (all share the one error shape). */
export const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ErrorBody])) as Record<number, typeof ErrorBody>;

/** Plain JSON object (records, payloads): an open object in the docs. */
export const zJsonObject = z.record(z.string(), z.unknown());

/**
 * A loose (field-preserving) schema typed as the domain interface it documents: TS interfaces have no index
 * signature, so `z.looseObject` output types would not accept them. Runtime validation is unchanged.
 */
export const typedAs = <T>(schema: z.ZodType) => schema as unknown as z.ZodType<T, T>;
