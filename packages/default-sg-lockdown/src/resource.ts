import type { EC2Client } from '@aws-sdk/client-ec2';
import { type CustomResource, cfn, type InvocationContext } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { lockDownDefaultSecurityGroup } from './lockdown';

export const properties = z.strictObject({
  GroupId: cfn.pattern(/^sg-[0-9a-f]{8,17}$/, 'must be a security group ID such as sg-0123456789abcdef0'),
});
export type Properties = z.infer<typeof properties>;
export type Data = { GroupId: string; RemovedRules: string };

/** Custom::DefaultSecurityGroupLockdown. Delete leaves the group empty: the VPC's deletion removes it. */
export function defaultSecurityGroupLockdown(ec2: EC2Client): CustomResource<Properties, Data> {
  const apply = async (p: Properties, ctx: InvocationContext) => {
    ctx.phase(`removing the rules of ${p.GroupId}`);
    const result = await lockDownDefaultSecurityGroup(p.GroupId, { ec2, logger: ctx.logger, signal: ctx.signal });
    return {
      physicalResourceId: `lockdown-${p.GroupId}`,
      data: { GroupId: p.GroupId, RemovedRules: String(result.removedIngress + result.removedEgress) },
    };
  };
  return {
    name: 'DefaultSecurityGroupLockdown',
    properties,
    create: (p, ctx) => apply(p, ctx),
    update: (p, _old, ctx) => apply(p, ctx),
  };
}
