import { intrinsicName, isObject, type Json, resourceDependencies, type Template } from '@strata/cfn-model';
import { templates, walk } from './helpers';

const entries = Object.entries(templates);

/** JSON paths of every null in a parsed template (a YAML key without a value, or a flow mapping split by a comma). */
function nullPaths(value: Json | undefined, path = ''): string[] {
  if (value === null) return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nullPaths(v, `${path}[${i}]`));
  if (typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nullPaths(v, `${path}/${k}`));
  return [];
}

describe('Templates: conventions', () => {
  // CloudFormation refuses a template with a null value anywhere ("[/Resources/X/Properties/Y] 'null' values
  // are not allowed in templates"): an unquoted "(a, b)" inside a YAML flow mapping parses as a second key
  // with no value, and cut a security group rule's Description this way.
  it.each(entries)('%s: holds no null value anywhere', (_name, t) => {
    expect(nullPaths(t as unknown as Json)).toEqual([]);
  });

  it.each(entries)('%s: the Description starts with the layer name', (name, t) => {
    const prefix = name === 'root' ? 'Strata root: ' : `Strata ${name} layer: `;

    expect(t.Description?.startsWith(prefix)).toBe(true);
  });

  it.each(entries)('%s: every parameter is in exactly one group and has a label', (_name, t) => {
    // Arrange
    const iface = (t.Metadata?.['AWS::CloudFormation::Interface'] ?? {}) as {
      ParameterGroups?: { Parameters: string[] }[];
      ParameterLabels?: Record<string, { default?: string }>;
    };
    const grouped = (iface.ParameterGroups ?? []).flatMap((g) => g.Parameters);

    // Assert
    expect([...grouped].sort()).toEqual(Object.keys(t.Parameters ?? {}).sort());
    for (const p of Object.keys(t.Parameters ?? {})) expect(iface.ParameterLabels?.[p]?.default).toBeTruthy();
  });

  it.each(entries)('%s: every constrained parameter has a ConstraintDescription', (_name, t) => {
    for (const [name, p] of Object.entries(t.Parameters ?? {})) {
      const constrained =
        p.AllowedValues !== undefined ||
        p.AllowedPattern !== undefined ||
        p.MinValue !== undefined ||
        p.MaxValue !== undefined;
      const typed = p.Type.startsWith('AWS::');
      expect({ name, constrained: constrained || typed }).toEqual({ name, constrained: true });
      expect({ name, description: Boolean(p.ConstraintDescription) }).toEqual({ name, description: true });
    }
  });

  it.each(entries)('%s: optional parameters default to an empty string or a safe value', (_name, t) => {
    for (const [name, p] of Object.entries(t.Parameters ?? {})) {
      if (p.AllowedPattern?.startsWith('^$|')) expect({ name, default: p.Default }).toEqual({ name, default: '' });
    }
  });

  it.each(entries)('%s: conditions are named Is* or Has*', (_name, t) => {
    for (const name of Object.keys(t.Conditions ?? {})) expect(name).toMatch(/^(Is|Has)[A-Z]/);
  });

  it.each(entries)('%s: every output has a Description', (_name, t) => {
    for (const [name, o] of Object.entries(t.Outputs ?? {}))
      expect({ name, d: Boolean(o.Description) }).toEqual({ name, d: true });
  });

  it.each(entries)('%s: every suppression sits on its resource with a reason', (_name, t) => {
    for (const [id, r] of Object.entries(t.Resources)) {
      const skips = (r.Metadata?.checkov as { skip?: { id?: string; comment?: string }[] } | undefined)?.skip ?? [];
      for (const s of skips) {
        expect({ id, check: s.id, reason: (s.comment ?? '').length > 20 }).toEqual({ id, check: s.id, reason: true });
      }
      // A cfn-lint suppression names its checks and says why (cfn-lint reads only `config`).
      const cfnLint = r.Metadata?.['cfn-lint'] as
        | { config?: { ignore_checks?: string[] }; reason?: string }
        | undefined;
      if (cfnLint !== undefined) {
        expect({
          id,
          checks: (cfnLint.config?.ignore_checks ?? []).length > 0,
          reason: (cfnLint.reason ?? '').length > 20,
        }).toEqual({
          id,
          checks: true,
          reason: true,
        });
      }
    }
    expect(t.Metadata?.['cfn-lint']).toBeUndefined();
  });

  it.each(entries)('%s: no parameter is NoEcho and no output carries a secret value', (_name, t) => {
    for (const p of Object.values(t.Parameters ?? {})) expect(p.NoEcho).toBeUndefined();
    for (const [name, o] of Object.entries(t.Outputs ?? {})) {
      const text = JSON.stringify(o.Value);
      expect({ name, secret: /SecretString|MasterUserPassword|resolve:secretsmanager/.test(text) }).toEqual({
        name,
        secret: false,
      });
    }
  });

  it.each(entries)('%s: uses only intrinsic functions CloudFormation knows', (_name, t) => {
    const known = new Set([
      'Ref',
      'Condition',
      'Fn::If',
      'Fn::Equals',
      'Fn::Not',
      'Fn::And',
      'Fn::Or',
      'Fn::FindInMap',
      'Fn::Select',
      'Fn::Split',
      'Fn::Join',
      'Fn::Sub',
      'Fn::GetAtt',
      'Fn::GetAZs',
      'Fn::Cidr',
      'Fn::Base64',
      'Fn::ImportValue',
    ]);
    for (const obj of walk(t as unknown as Json)) {
      const fn = intrinsicName(obj);
      if (fn && isObject(obj)) expect(known.has(fn)).toBe(true);
    }
  });

  // A log bucket can be deleted only empty (BucketNotEmpty,
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html), and only its
  // Custom::EmptyBucketOnDelete empties it. If anything delivered to it before that emptier existed, a create
  // failing in between would roll back to ROLLBACK_FAILED with nothing to empty the bucket. The deliverers a
  // template declares: S3 server access logging (LoggingConfiguration.DestinationBucketName), CloudTrail and
  // AWS Config (S3BucketName).
  const refTo = (value: Json | undefined) => (isObject(value) && typeof value.Ref === 'string' ? value.Ref : '');
  /** Each resource that delivers to a bucket of its template, with the logical ID of that bucket. */
  const deliveries = (t: Template): [string, string][] =>
    Object.entries(t.Resources).flatMap(([id, w]) =>
      [...walk(w.Properties as Json)]
        .map((o) => refTo(o.DestinationBucketName) || refTo(o.S3BucketName))
        .filter((bucket) => bucket !== '')
        .map((bucket): [string, string] => [id, bucket]),
    );

  it.each(entries)("%s: nothing delivers to a log bucket before that bucket's emptier exists", (_name, t) => {
    const closure = (id: string, seen = new Set<string>()): Set<string> => {
      for (const dep of resourceDependencies(t, id)) if (!seen.has(dep)) closure(dep, seen.add(dep));
      return seen;
    };
    const emptiers = Object.entries(t.Resources).filter(([, r]) => r.Type === 'Custom::EmptyBucketOnDelete');
    for (const [emptier, r] of emptiers) {
      const bucket = refTo(r.Properties?.BucketName);
      const deliverers = deliveries(t).filter(([, to]) => to === bucket);
      for (const [id] of deliverers) expect([id, closure(id).has(emptier)]).toEqual([id, true]);
    }
  });

  it('the deliverer check sees the deliverers: the account layer has four, the storage layer one', () => {
    const count = (t: Template) => new Set(deliveries(t).map(([id]) => id)).size;
    expect([count(templates.account as Template), count(templates.storage as Template)]).toEqual([4, 1]);
  });
});
