import {
  DescribeSecurityGroupsCommand,
  type DescribeSecurityGroupsCommandOutput,
  type EC2Client,
  paginateDescribeSecurityGroupRules,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Logger } from '@strata/custom-resource-runtime';
import { NotDefaultSecurityGroupError, SecurityGroupNotFoundError } from './errors';

export interface LockdownResult {
  removedIngress: number;
  removedEgress: number;
}

export interface LockdownDeps {
  ec2: EC2Client;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Removes every ingress and egress rule of a VPC's default security group. Idempotent: a group that is
 * already empty is left alone. Refuses any group that is not a default group, so a wrong GroupId can
 * never strip the rules of a group traffic depends on.
 */
export async function lockDownDefaultSecurityGroup(groupId: string, deps: LockdownDeps): Promise<LockdownResult> {
  const { ec2, logger, signal } = deps;
  let described: DescribeSecurityGroupsCommandOutput | undefined;
  try {
    described = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }), { abortSignal: signal });
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'InvalidGroup.NotFound' || name === 'InvalidGroupId.Malformed')
      throw new SecurityGroupNotFoundError(groupId);
    throw error;
  }
  const group = described?.SecurityGroups?.[0];
  if (!group) throw new SecurityGroupNotFoundError(groupId);
  if (group.GroupName !== 'default') throw new NotDefaultSecurityGroupError(groupId, group.GroupName ?? '?');

  const ingress: string[] = [];
  const egress: string[] = [];
  const pages = paginateDescribeSecurityGroupRules(
    { client: ec2 },
    { Filters: [{ Name: 'group-id', Values: [groupId] }], MaxResults: 1000 },
  );
  for await (const page of pages) {
    for (const rule of page.SecurityGroupRules ?? []) {
      if (!rule.SecurityGroupRuleId || rule.GroupId !== groupId) continue;
      (rule.IsEgress ? egress : ingress).push(rule.SecurityGroupRuleId);
    }
  }

  // Revoke in batches; a rule that vanished meanwhile (another run) is already what we want.
  const revoke = async (ids: string[], egressRules: boolean) => {
    for (let i = 0; i < ids.length; i += 100) {
      const batch = ids.slice(i, i + 100);
      const command = egressRules
        ? new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: batch })
        : new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: batch });
      try {
        await ec2.send(command as RevokeSecurityGroupIngressCommand, { abortSignal: signal });
      } catch (error) {
        const name = (error as { name?: string }).name;
        if (name !== 'InvalidPermission.NotFound' && name !== 'InvalidSecurityGroupRuleId.NotFound') throw error;
      }
    }
  };
  await revoke(ingress, false);
  await revoke(egress, true);
  logger.info('default security group locked down', {
    groupId,
    removedIngress: ingress.length,
    removedEgress: egress.length,
  });
  return { removedIngress: ingress.length, removedEgress: egress.length };
}
