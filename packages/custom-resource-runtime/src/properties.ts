import { z } from 'zod';
import { PropertyValidationError } from './errors';

/**
 * CloudFormation passes every scalar property as a string ("3", "true"); these schemas accept the
 * string form and the native one and give the core a typed value.
 */
export const cfn = {
  boolean: () =>
    z
      .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
      .transform((v) => v === true || v === 'true'),

  integer: (min: number, max: number) =>
    z
      .union([z.number(), z.string().regex(/^-?\d+$/, { error: `must be a whole number from ${min} to ${max}` })])
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, { error: `must be at least ${min}` })
          .max(max, { error: `must be at most ${max}` }),
      ),

  /** A list given as a YAML list or as one comma-separated string. */
  stringList: (item: z.ZodString, options: { min?: number; max?: number } = {}) =>
    z
      .union([z.array(z.string()), z.string()])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
      .pipe(
        z
          .array(item)
          .min(options.min ?? 0, { error: `must list at least ${options.min ?? 0} item(s)` })
          .max(options.max ?? 1000, { error: `must list at most ${options.max ?? 1000} item(s)` }),
      ),
};

/** Properties CloudFormation adds itself; a resource never declares them. */
const PROTOCOL_PROPERTIES = ['ServiceToken', 'ServiceTimeout'];

/** Validates resource properties against a strict schema; every problem names its property. */
export function parseProperties<T>(schema: z.ZodType<T>, raw: unknown): T {
  const input = typeof raw === 'object' && raw !== null ? { ...(raw as Record<string, unknown>) } : {};
  for (const key of PROTOCOL_PROPERTIES) delete input[key];
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new PropertyValidationError(
    result.error.issues.map((issue) => {
      const path = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        return { property: issue.keys.join(', '), message: 'unknown property: remove it or check its spelling' };
      }
      return { property: path || '(properties)', message: issue.message };
    }),
  );
}
