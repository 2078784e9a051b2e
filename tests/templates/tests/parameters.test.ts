import { templates } from './helpers';

/** Whether CloudFormation would accept a String parameter value: AllowedPattern (whole value), Min/MaxLength. */
function accepts(spec: { AllowedPattern?: string; MinLength?: number; MaxLength?: number }, value: string): boolean {
  const pattern = spec.AllowedPattern === undefined || new RegExp(`^(?:${spec.AllowedPattern})$`).test(value);
  return (
    pattern && value.length >= (spec.MinLength ?? 0) && value.length <= (spec.MaxLength ?? Number.POSITIVE_INFINITY)
  );
}

const declaring = (name: string) =>
  Object.entries(templates)
    .map(([t, template]) => [t, template.Parameters?.[name]] as const)
    .filter((entry): entry is readonly [string, NonNullable<(typeof entry)[1]>] => entry[1] !== undefined);

// Names are built from the suffix: RDS DB identifiers "must begin with a letter; must contain only ASCII letters,
// digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens"
// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html), and ELB and
// target-group names may not begin or end with a hyphen, 32 characters at most
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html).
describe('Parameter: EnvironmentSuffix', () => {
  const everywhere = declaring('EnvironmentSuffix');

  it('is declared with one constraint in every template that takes it', () => {
    expect(everywhere.length).toBeGreaterThanOrEqual(10);
    const first = JSON.stringify(everywhere[0]?.[1]);
    for (const [, spec] of everywhere) expect(JSON.stringify(spec)).toBe(first);
  });

  it.each(everywhere)('%s: accepts names RDS and ELB accept', (_t, spec) => {
    for (const ok of ['dev', 'prod', 'prod-eu', 'ab', 'a1', 'stg-2', 'abcdefghijkl']) {
      expect({ value: ok, accepted: accepts(spec, ok) }).toEqual({ value: ok, accepted: true });
    }
  });

  it.each(everywhere)('%s: refuses what RDS or ELB would refuse at create', (_t, spec) => {
    for (const bad of ['prod-', 'a--b', '-ab', 'a', 'Prod', '1ab', 'prod_eu', 'abcdefghijklm', 'dev-']) {
      expect({ value: bad, accepted: accepts(spec, bad) }).toEqual({ value: bad, accepted: false });
    }
  });
});

describe('Parameter: AlbIngressCidr', () => {
  const everywhere = declaring('AlbIngressCidr');

  it('is declared in the root and the network layer', () => {
    expect(everywhere.map(([t]) => t).sort()).toEqual(['network', 'root']);
  });

  it.each(everywhere)('%s: accepts IPv4 CIDRs', (_t, spec) => {
    for (const ok of ['0.0.0.0/0', '203.0.113.0/24', '10.0.0.0/8', '255.255.255.255/32', '192.0.2.10/32']) {
      expect({ value: ok, accepted: accepts(spec, ok) }).toEqual({ value: ok, accepted: true });
    }
  });

  it.each(everywhere)('%s: refuses what EC2 would refuse as a CIDR', (_t, spec) => {
    for (const bad of ['999.1.1.1/8', '256.0.0.0/8', '1.2.3.4/33', '1.2.3/24', '01.2.3.4/8', '1.2.3.4', '::/0']) {
      expect({ value: bad, accepted: accepts(spec, bad) }).toEqual({ value: bad, accepted: false });
    }
  });
});
