// zod/mini, imported as a namespace, tree-shakes to what is used: about 17 KiB in a bundle instead of
// about 440 KiB for `import { z } from 'zod'` (which loads every locale). Init time is the cost here.

import * as z from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { PropertyValidationError } from './errors';

/**
 * CloudFormation passes every scalar property as a string ("3", "true"); these schemas accept the
 * string form and the native one and give the core a typed value.
 */
export const cfn = {
  boolean: () =>
    z.pipe(
      z.union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' }),
      z.transform((v: boolean | 'true' | 'false') => v === true || v === 'true'),
    ),

  integer: (min: number, max: number) =>
    z.pipe(
      z.pipe(
        z.union([z.number(), z.string().check(z.regex(/^-?\d+$/))], {
          error: `must be a whole number from ${min} to ${max}`,
        }),
        z.transform((v: number | string) => Number(v)),
      ),
      z
        .number()
        .check(
          z.refine(Number.isInteger, { error: `must be a whole number from ${min} to ${max}` }),
          z.gte(min, { error: `must be at least ${min}` }),
          z.lte(max, { error: `must be at most ${max}` }),
        ),
    ),

  /** A list given as a YAML list or as one comma-separated string. */
  stringList: (item: z.ZodMiniString<string>, options: { min?: number; max?: number } = {}) =>
    z.pipe(
      z.pipe(
        z.union([z.array(z.string()), z.string()], { error: 'must be a list or a comma-separated string' }),
        z.transform((v: string[] | string) =>
          (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''),
        ),
      ),
      z
        .array(item)
        .check(
          z.minLength(options.min ?? 0, { error: `must list at least ${options.min ?? 0} item(s)` }),
          z.maxLength(options.max ?? 1000, { error: `must list at most ${options.max ?? 1000} item(s)` }),
        ),
    ),

  /** A string matching a pattern, with the message to show otherwise. */
  pattern: (regex: RegExp, error: string) => z.string({ error }).check(z.regex(regex, { error })),
};

/** Properties CloudFormation adds itself; a resource never declares them. */
const PROTOCOL_PROPERTIES = ['ServiceToken', 'ServiceTimeout'];

/** Validates resource properties against a strict schema; every problem names its property. */
export function parseProperties<T>(schema: $ZodType<T>, raw: unknown): T {
  const input = typeof raw === 'object' && raw !== null ? { ...(raw as Record<string, unknown>) } : {};
  for (const key of PROTOCOL_PROPERTIES) delete input[key];
  const result = z.safeParse(schema, input);
  if (result.success) return result.data as T;
  throw new PropertyValidationError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return { property: issue.keys.join(', '), message: 'unknown property: remove it or check its spelling' };
      }
      if (issue.code === 'invalid_type' && issue.input === undefined) {
        return { property: path || '(properties)', message: 'is required' };
      }
      return { property: path || '(properties)', message: issue.message };
    }),
  );
}
