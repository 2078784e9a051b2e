/** Errors of @strata/default-sg-lockdown. */

export class NotDefaultSecurityGroupError extends Error {
  constructor(groupId: string, groupName: string) {
    super(
      `GroupId ${groupId} is the security group "${groupName}", not a VPC's default security group: pass !GetAtt <Vpc>.DefaultSecurityGroup`,
    );
    this.name = 'NotDefaultSecurityGroupError';
  }
}

export class SecurityGroupNotFoundError extends Error {
  constructor(groupId: string) {
    super(`GroupId ${groupId} does not exist in this account and region: pass !GetAtt <Vpc>.DefaultSecurityGroup`);
    this.name = 'SecurityGroupNotFoundError';
  }
}
