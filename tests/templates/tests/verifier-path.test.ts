import type { Json, JsonObject, Resource } from '@strata/cfn-model';
import { environment, inCidr, list, naclInbound, ofType, props, resourcesOf } from './helpers';

// The TLS verifier checks the load balancer at its public DNS name from the app subnets, so its requests
// arrive from the NAT gateways' Elastic IPs. With AlbIngressCidr narrowed, the ALB's security group and the
// public NACL must still admit those addresses on 443 and 80, and nothing else beyond AlbIngressCidr.
// NACL rules: lowest number first, first match decides (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html);
// security groups: any matching allow (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
const CLIENTS = '203.0.113.0/24';
const natAddress = (i: string) => `198.51.100.${i}`;

/** A deployed value: an EIP's PublicIp in a Fn::Sub becomes the address this test gives that EIP. */
const value = (v: Json | undefined): string => {
  const deferred = (v as { deferred?: string } | null)?.deferred;
  const eip = deferred ? /^\$\{NatEip(\d)\.PublicIp\}\/32$/.exec(deferred) : null;
  return eip ? `${natAddress(eip[1] ?? '')}/32` : String(v);
};
const refersTo = (v: Json | undefined, names: string[]) => names.some((n) => JSON.stringify(v).includes(n));

function path(env: 'dev' | 'staging' | 'prod') {
  const resolved = environment(env, { AlbIngressCidr: CLIENTS });
  const network = resourcesOf(resolved, 'network');
  const egress = resourcesOf(resolved, 'egress');
  const all: Resource[] = [...Object.values(network), ...Object.values(egress)];
  const eips = ofType(egress, 'AWS::EC2::EIP').map(([id]) => id.replace('NatEip', ''));
  const albGroup = ['"AlbSecurityGroup"', 'AlbSecurityGroupId'];
  const publicAcl = ['"PublicNetworkAcl"', 'PublicNetworkAclId'];
  const sgRules: JsonObject[] = [
    ...list(props(network.AlbSecurityGroup).SecurityGroupIngress).map((r) => r as JsonObject),
    ...all
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && refersTo(props(r).GroupId, albGroup))
      .map(props),
  ];
  const aclRules = all
    .filter((r) => r.Type === 'AWS::EC2::NetworkAclEntry' && refersTo(props(r).NetworkAclId, publicAcl))
    .map(props);
  const admitted = (source: string, port: number) => {
    const sg = sgRules.some(
      (r) => inCidr(source, value(r.CidrIp)) && port >= Number(r.FromPort) && port <= Number(r.ToPort),
    );
    return sg && naclInbound(aclRules, source, port, value) === 'allow';
  };
  return { eips, admitted };
}

describe('Path: the TLS verifier to the load balancer with AlbIngressCidr narrowed', () => {
  it.each([
    ['dev', 1],
    ['staging', 2],
    ['prod', 3],
  ] as const)('%s: every NAT address (%i) reaches the load balancer on 443 and 80', (env, nats) => {
    const { eips, admitted } = path(env);

    expect(eips).toHaveLength(nats);
    for (const i of eips) {
      expect({ nat: i, https: admitted(natAddress(i), 443), http: admitted(natAddress(i), 80) }).toEqual({
        nat: i,
        https: true,
        http: true,
      });
    }
  });

  it.each(['dev', 'staging', 'prod'] as const)('%s: the allowed clients get in and other addresses do not', (env) => {
    const { admitted } = path(env);

    expect(admitted('203.0.113.40', 443)).toBe(true);
    expect(admitted('192.0.2.9', 443)).toBe(false);
    expect(admitted('192.0.2.9', 80)).toBe(false);
    expect(admitted(natAddress('1'), 22)).toBe(false);
  });
});
