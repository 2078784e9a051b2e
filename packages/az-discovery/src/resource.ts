import type { EC2Client } from '@aws-sdk/client-ec2';
import type { RDSClient } from '@aws-sdk/client-rds';
import { type CustomResource, cfn, type InvocationContext } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { discoverZones } from './discovery';

export const properties = z.strictObject({
  Count: cfn.integer(1, 6),
  InstanceTypes: cfn.stringList(
    cfn.pattern(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'must be an instance type such as t4g.small'),
    {
      min: 1,
      max: 10,
    },
  ),
  DbInstanceClass: cfn.pattern(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, 'must be a DB instance class such as db.t4g.micro'),
  Engine: z.enum(['mysql', 'mariadb', 'postgres'], { error: 'must be mysql, mariadb or postgres' }),
});
export type Properties = z.infer<typeof properties>;
export type Data = Record<string, string>;

const PREFIX = 'azs:';

/** The physical ID records the zones chosen, so an Update can keep them first and in order. */
export const physicalId = (names: string[]) => `${PREFIX}${names.join(',')}`;
export const previousZones = (id: string | undefined) =>
  id?.startsWith(PREFIX) ? id.slice(PREFIX.length).split(',').filter(Boolean) : [];

export function availabilityZones(clients: { ec2: EC2Client; rds: RDSClient }): CustomResource<Properties, Data> {
  const choose = async (p: Properties, ctx: InvocationContext, previous: string[]) => {
    ctx.phase('reading zones, instance type offerings and orderable DB classes');
    const choice = await discoverZones(
      {
        count: p.Count,
        instanceTypes: p.InstanceTypes,
        dbInstanceClass: p.DbInstanceClass,
        engine: p.Engine,
        previous,
      },
      { ...clients, logger: ctx.logger, signal: ctx.signal },
    );
    const names = choice.zones.map((z) => z.name);
    const data: Data = {
      Names: names.join(','),
      ZoneIds: choice.zones.map((z) => z.id).join(','),
      Count: String(names.length),
    };
    names.forEach((name, i) => {
      data[`Zone${i + 1}`] = name;
    });
    return { physicalResourceId: physicalId(names), data };
  };
  return {
    name: 'AvailabilityZones',
    properties,
    create: (p, ctx) => choose(p, ctx, []),
    update: (p, _old, ctx) => choose(p, ctx, previousZones(ctx.event.PhysicalResourceId)),
  };
}
