import type { RDSClient } from '@aws-sdk/client-rds';
import { type CustomResource, cfn, type InvocationContext } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { DowngradeRefusedError } from './errors';
import { compareVersions, lookUpVersion } from './versions';

export const properties = z.strictObject({
  Engine: z.literal('mysql', { error: 'must be mysql' }),
  MajorVersion: z.enum(['8.0', '8.4'], { error: 'must be 8.0 or 8.4' }),
  InstanceClass: cfn.pattern(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.t4g.micro'),
  MultiAz: cfn.boolean(),
  PinnedVersion: z.optional(
    z.pipe(
      cfn.pattern(/^$|^8\.(0|4)\.\d{1,3}$/, 'must be empty or a full version such as 8.0.40'),
      z.transform((v: string) => v || undefined),
    ),
  ),
  /** Change it (any value) to look the newest version up again on the next update. */
  RefreshToken: z.optional(z.string().check(z.maxLength(128, { error: 'must be at most 128 characters' }))),
});
export type Properties = z.infer<typeof properties>;
export type Data = { EngineVersion: string; ParameterGroupFamily: string; MajorVersion: string };

const PREFIX = 'rds-engine:';
export const physicalId = (engine: string, version: string) => `${PREFIX}${engine}-${version}`;
export function previousVersion(id: string | undefined): string | undefined {
  const match = id?.startsWith(PREFIX) ? /^[a-z-]+-(\d[\d.]*)$/.exec(id.slice(PREFIX.length)) : null;
  return match?.[1];
}

/**
 * Sticky: an Update keeps the version chosen before unless MajorVersion, PinnedVersion or RefreshToken
 * changed (or the class no longer offers it); the new choice never goes below the old one.
 */
export function rdsEngineVersion(rds: RDSClient): CustomResource<Properties, Data> {
  const resolve = async (p: Properties, ctx: InvocationContext, previous?: string) => {
    ctx.phase(`looking up ${p.Engine} ${p.MajorVersion} versions orderable for ${p.InstanceClass}`);
    const choice = await lookUpVersion(
      {
        engine: p.Engine,
        majorVersion: p.MajorVersion,
        instanceClass: p.InstanceClass,
        multiAz: p.MultiAz,
        ...(p.PinnedVersion ? { pinnedVersion: p.PinnedVersion } : {}),
      },
      { rds, logger: ctx.logger },
      previous,
    );
    return {
      physicalResourceId: physicalId(p.Engine, choice.engineVersion),
      data: {
        EngineVersion: choice.engineVersion,
        ParameterGroupFamily: choice.parameterGroupFamily,
        MajorVersion: p.MajorVersion,
      },
    };
  };
  return {
    name: 'RdsEngineVersion',
    properties,
    create: (p, ctx) => resolve(p, ctx),
    update: async (p, old, ctx) => {
      const previous = previousVersion(ctx.event.PhysicalResourceId);
      if (previous && compareVersions(p.MajorVersion, previous.split('.').slice(0, 2).join('.')) < 0) {
        throw new DowngradeRefusedError(previous, `MajorVersion ${p.MajorVersion}`);
      }
      const sameMajor = previous?.startsWith(`${p.MajorVersion}.`) ?? false;
      const refresh =
        !old ||
        old.MajorVersion !== p.MajorVersion ||
        old.PinnedVersion !== p.PinnedVersion ||
        old.RefreshToken !== p.RefreshToken;
      if (previous && sameMajor && !refresh) {
        // Nothing that selects the version changed: look it up only to confirm it is still offered.
        return resolve({ ...p, PinnedVersion: previous }, ctx, previous).catch(() => resolve(p, ctx, previous));
      }
      return resolve(p, ctx, sameMajor ? previous : undefined);
    },
  };
}
