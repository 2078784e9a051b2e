import type { JsonObject, Resource } from '@strata/cfn-model';
import { environment, naclInbound, ofType, props, resourcesOf } from './helpers';

const dev = environment('dev');
const staging = environment('staging');
const prod = environment('prod');

const tierOf = (r: Resource) => ((props(r).Tags as JsonObject[]).find((t) => t.Key === 'Tier')?.Value as string) ?? '';

describe('Layer: network', () => {
  const r = resourcesOf(prod, 'network');

  it('builds the VPC on 10.0.0.0/16', () => {
    expect(props(r.Vpc).CidrBlock).toBe('10.0.0.0/16');
  });

  it.each([
    ['dev', dev, 2, 1],
    ['staging', staging, 2, 2],
    ['prod', prod, 3, 3],
  ] as const)('%s: one subnet per tier per AZ (%i AZs) and %i NAT gateways', (_env, e, azs, nats) => {
    const net = resourcesOf(e, 'network');
    const subnets = ofType(net, 'AWS::EC2::Subnet');

    expect(subnets.filter(([, s]) => tierOf(s) === 'public')).toHaveLength(azs);
    expect(subnets.filter(([, s]) => tierOf(s) === 'app')).toHaveLength(azs);
    expect(subnets.filter(([, s]) => tierOf(s) === 'data')).toHaveLength(azs);
    expect(ofType(resourcesOf(e, 'egress'), 'AWS::EC2::NatGateway')).toHaveLength(nats);
    expect(ofType(net, 'AWS::EC2::NatGateway')).toHaveLength(0);
  });

  it('places no subnet in a mode that hands out public IPs', () => {
    for (const [, s] of ofType(r, 'AWS::EC2::Subnet')) expect(props(s).MapPublicIpOnLaunch).toBe(false);
  });

  it('leaves the database layer out of the wait for the NAT gateways (they live in the egress layer)', () => {
    expect(environment('prod').layerDependencies.DatabaseStack).not.toContain('EgressStack');
    expect(ofType(r, 'AWS::EC2::Route').map(([id]) => id)).toEqual(['PublicInternetRoute']);
  });

  it('routes the data tier nowhere: its route table has no route at all', () => {
    // Arrange
    const dataTables = new Set(
      ofType(r, 'AWS::EC2::SubnetRouteTableAssociation')
        .filter(([, a]) => tierOf(r[(props(a).SubnetId as { deferred: string }).deferred] as Resource) === 'data')
        .map(([, a]) => JSON.stringify(props(a).RouteTableId)),
    );
    const routes = ofType(r, 'AWS::EC2::Route').filter(([, x]) =>
      dataTables.has(JSON.stringify(props(x).RouteTableId)),
    );

    // Assert
    expect(dataTables.size).toBe(1);
    expect(routes).toEqual([]);
  });

  it('sends each app AZ through its own NAT in prod and through the shared one in dev', () => {
    const natOf = (e: typeof prod) =>
      ofType(resourcesOf(e, 'egress'), 'AWS::EC2::Route')
        .filter(([id]) => id.startsWith('AppNatRoute'))
        .map(([, x]) => (props(x).NatGatewayId as { deferred: string }).deferred);

    expect(natOf(prod)).toEqual(['NatGateway1', 'NatGateway2', 'NatGateway3']);
    expect(natOf(dev)).toEqual(['NatGateway1', 'NatGateway1']);
  });

  describe('when NatGatewayMode is regional', () => {
    const regional = (env: 'dev' | 'staging' | 'prod') =>
      resourcesOf(environment(env, { NatGatewayMode: 'regional' }), 'egress');

    it.each([
      ['dev', 2],
      ['staging', 2],
      ['prod', 3],
    ] as const)('%s: one regional NAT gateway at the VPC with its own address in each of the %i zones', (env, azs) => {
      const egress = regional(env);
      const [[id, nat] = ['', {} as Resource]] = ofType(egress, 'AWS::EC2::NatGateway');

      expect(ofType(egress, 'AWS::EC2::NatGateway')).toHaveLength(1);
      expect(id).toBe('NatGateway1');
      expect(props(nat)).toEqual(
        expect.objectContaining({ AvailabilityMode: 'regional', VpcId: '<NetworkStack.VpcId>' }),
      );
      expect(props(nat)).not.toHaveProperty('SubnetId');
      expect(props(nat)).not.toHaveProperty('AllocationId');
      expect(props(nat).AvailabilityZoneAddresses).toEqual(
        Array.from({ length: azs }, (_, i) => ({
          AvailabilityZone: `<DiscoveryStack.AvailabilityZone${i + 1}>`,
          AllocationIds: [{ deferred: `RegionalNatEip${i + 1}.AllocationId` }],
        })),
      );
      expect(ofType(egress, 'AWS::EC2::EIP').map(([eip]) => eip)).toEqual(
        Array.from({ length: azs }, (_, i) => `RegionalNatEip${i + 1}`),
      );
    });

    it('routes every app zone through the regional gateway and admits each of its addresses to the load balancer', () => {
      const egress = regional('prod');
      const routes = ofType(egress, 'AWS::EC2::Route').filter(([id]) => id.startsWith('AppNatRoute'));
      const admitted = ofType(egress, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => JSON.stringify(props(r).CidrIp));

      expect(routes.map(([, r]) => props(r).NatGatewayId)).toEqual(Array(3).fill({ deferred: 'NatGateway1' }));
      for (const n of [1, 2, 3])
        expect(admitted.filter((c) => c.includes(`RegionalNatEip${n}.PublicIp`))).toHaveLength(2);
      expect(admitted.filter((c) => c.includes('"NatEip'))).toEqual([]);
    });

    it('leaves the zonal gateways without AvailabilityMode, so that a stack deployed before the option keeps them', () => {
      // AvailabilityMode is create-only: writing its default (zonal) into existing gateways would replace them.
      for (const env of ['dev', 'staging', 'prod'] as const)
        for (const [, nat] of ofType(resourcesOf(environment(env), 'egress'), 'AWS::EC2::NatGateway')) {
          expect(Object.keys(props(nat)).sort()).toEqual(['AllocationId', 'SubnetId', 'Tags']);
        }
    });
  });

  it('has a NACL per tier, associated with every subnet of that tier', () => {
    const acls = ofType(r, 'AWS::EC2::NetworkAcl')
      .map(([id]) => id)
      .sort();
    const associations = ofType(r, 'AWS::EC2::SubnetNetworkAclAssociation');

    expect(acls).toEqual(['AppNetworkAcl', 'DataNetworkAcl', 'PublicNetworkAcl']);
    expect(associations).toHaveLength(ofType(r, 'AWS::EC2::Subnet').length);
  });

  it('lets the data tier NACL speak only MySQL with the app tier', () => {
    const entries = ofType(r, 'AWS::EC2::NetworkAclEntry').filter(([, e]) =>
      JSON.stringify(props(e).NetworkAclId).includes('DataNetworkAcl'),
    );

    expect(entries.map(([, e]) => [props(e).Egress, props(e).CidrBlock, props(e).PortRange])).toEqual([
      [false, '10.0.64.0/18', { From: 3306, To: 3306 }],
      [true, '10.0.64.0/18', { From: 1024, To: 65535 }],
    ]);
  });

  describe('app tier NACL, evaluated as EC2 does (lowest rule number first, first match decides, else deny)', () => {
    // https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html
    const inbound = (acl: string, source: string, port: number) =>
      naclInbound(
        ofType(r, 'AWS::EC2::NetworkAclEntry')
          .map(([, e]) => props(e))
          .filter((e) => JSON.stringify(e.NetworkAclId).includes(acl)),
        source,
        port,
      );
    const APP_PORT = 8080;

    it.each([
      ['the public tier (the ALB)', '10.0.0.10', 'allow'],
      ['the internet', '203.0.113.7', 'deny'],
      ['the data tier', '10.0.128.10', 'deny'],
      ['the app tier itself', '10.0.64.10', 'deny'],
    ])('the app port from %s: %s', (_from, source, expected) => {
      expect(inbound('AppNetworkAcl', source, APP_PORT)).toBe(expected);
    });

    it('still admits answers to the app tier on client ports from anywhere (stateless NACL)', () => {
      expect(inbound('AppNetworkAcl', '203.0.113.7', 40000)).toBe('allow');
      expect(inbound('AppNetworkAcl', '10.0.128.10', 51000)).toBe('allow');
    });
  });

  it("logs ALL VPC traffic to an encrypted log group with the environment's retention", () => {
    const [[, flowLog] = []] = ofType(r, 'AWS::EC2::FlowLog');

    expect(props(flowLog).TrafficType).toBe('ALL');
    expect(props(flowLog).ResourceId).toEqual({ deferred: 'Vpc' });
    expect(props(r.FlowLogGroup).KmsKeyId).toBe('<SecurityStack.KeyArn>');
    expect(props(r.FlowLogGroup).RetentionInDays).toBe(365);
    expect(props(resourcesOf(dev, 'network').FlowLogGroup).RetentionInDays).toBe(14);
  });

  describe('security groups', () => {
    const ingress: (JsonObject & { group: string })[] = [
      ...ofType(r, 'AWS::EC2::SecurityGroup').flatMap(([id, g]) =>
        ((props(g).SecurityGroupIngress as JsonObject[] | undefined) ?? []).map((rule) => ({ group: id, ...rule })),
      ),
      ...ofType(r, 'AWS::EC2::SecurityGroupIngress').map(([, x]) => ({
        group: (props(x).GroupId as { deferred: string }).deferred,
        ...props(x),
      })),
    ];

    it('allows the internet only to the ALB, on 80 and 443', () => {
      const open = ingress.filter((x) => x.CidrIp === '0.0.0.0/0' || x.CidrIpv6 === '::/0');

      expect(open.map((x) => [x.group, x.FromPort]).sort()).toEqual(
        [
          ['AlbSecurityGroup', 443],
          ['AlbSecurityGroup', 80],
        ].sort(),
      );
    });

    it('chains ALB -> app -> database by group reference, never by CIDR', () => {
      const app = ingress.filter((x) => x.group === 'AppSecurityGroup');
      const db = ingress.filter((x) => x.group === 'DatabaseSecurityGroup');

      expect(app.map((x) => [x.SourceSecurityGroupId, x.FromPort])).toEqual([[{ deferred: 'AlbSecurityGroup' }, 8080]]);
      expect(db.map((x) => [x.SourceSecurityGroupId, x.FromPort, x.CidrIp])).toEqual([
        [{ deferred: 'AppSecurityGroup' }, 3306, undefined],
      ]);
    });

    it('opens SSH (22) and RDP (3389) nowhere', () => {
      for (const x of ingress) {
        const from = Number(x.FromPort ?? 0);
        const to = Number(x.ToPort ?? 65535);
        expect(from <= 22 && 22 <= to).toBe(false);
        expect(from <= 3389 && 3389 <= to).toBe(false);
      }
    });

    it('gives the ALB and the database no egress but the intended one', () => {
      const egressOf = (id: string) => props(r[id]).SecurityGroupEgress;

      expect(egressOf('DatabaseSecurityGroup')).toEqual([expect.objectContaining({ CidrIp: '127.0.0.1/32' })]);
      expect(egressOf('AlbSecurityGroup')).toEqual([expect.objectContaining({ CidrIp: '127.0.0.1/32' })]);
      expect(
        ofType(r, 'AWS::EC2::SecurityGroupEgress').map(([, x]) => [
          props(x).GroupId,
          props(x).DestinationSecurityGroupId,
        ]),
      ).toEqual([
        [{ deferred: 'AlbSecurityGroup' }, { deferred: 'AppSecurityGroup' }],
        [{ deferred: 'AppSecurityGroup' }, { deferred: 'DatabaseSecurityGroup' }],
      ]);
    });

    it('keeps the cross-group rules standalone so the groups do not depend on each other', () => {
      for (const [, g] of ofType(r, 'AWS::EC2::SecurityGroup')) {
        expect(JSON.stringify(props(g))).not.toMatch(/SecurityGroup"\}/);
      }
    });
  });
});

describe('Layer: egress alarms', () => {
  it.each([
    ['dev', dev, 1],
    ['prod', prod, 3],
  ] as const)('%s: alarms on each of its %i NAT gateways, to the topic', (_env, e, nats) => {
    const alarms = ofType(resourcesOf(e, 'egress'), 'AWS::CloudWatch::Alarm');

    expect(alarms).toHaveLength(nats * 2);
    for (const [, a] of alarms) expect(props(a).AlarmActions).toEqual(['<SecurityStack.AlarmTopicArn>']);
  });
});
