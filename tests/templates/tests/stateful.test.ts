import type { Resource } from '@strata/cfn-model';
import { environment } from './helpers';

/** Types that hold data an operator would lose with the resource. */
const STATEFUL = new Set(['AWS::RDS::DBInstance', 'AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup']);

const statefulOf = (env: 'dev' | 'staging' | 'prod'): [string, Resource][] =>
  Object.entries(environment(env).layers).flatMap(([layer, t]) =>
    Object.entries(t.resources)
      .filter(([, r]) => STATEFUL.has(r.Type))
      .map(([id, r]) => [`${layer}.${id}`, r] as [string, Resource]),
  );

describe('Stateful resources', () => {
  it.each(['staging', 'prod'] as const)('%s: every one is kept (or snapshotted) when deleted or replaced', (env) => {
    const all = statefulOf(env);

    expect(all.length).toBeGreaterThan(10);
    for (const [id, r] of all) {
      // RetainExceptOnCreate, never plain Retain: Retain also keeps a resource when the create that made it
      // rolls back, and with its fixed name it then blocks the retry ("already exists"). RetainExceptOnCreate
      // "behaves like Retain for stack operations, except for the stack operation that initially created the
      // resource" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
      expect({ id, deletion: r.DeletionPolicy }).toEqual({
        id,
        deletion: expect.stringMatching(/^(RetainExceptOnCreate|Snapshot)$/),
      });
      expect({ id, replace: r.UpdateReplacePolicy }).toEqual({
        id,
        replace: expect.stringMatching(/^(Retain|Snapshot)$/),
      });
    }
  });

  it('dev: everything is deleted with the stack and when replaced', () => {
    for (const [id, r] of statefulOf('dev')) {
      expect({ id, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy ?? 'Delete' }).toEqual({
        id,
        deletion: 'Delete',
        replace: 'Delete',
      });
    }
  });

  it.each(['dev', 'staging', 'prod'] as const)('%s: no resource of any type uses plain Retain', (env) => {
    const retained = Object.entries(environment(env).layers).flatMap(([layer, t]) =>
      Object.entries(t.resources)
        .filter(([, r]) => r.DeletionPolicy === 'Retain')
        .map(([id]) => `${layer}.${id}`),
    );

    expect(retained).toEqual([]);
  });

  it('the database, the buckets and the log groups carry fixed names, so a change that would replace one fails instead of creating an empty twin', () => {
    const named = {
      'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
      'AWS::S3::Bucket': 'BucketName',
      'AWS::Logs::LogGroup': 'LogGroupName',
    } as const;
    for (const [id, r] of statefulOf('prod')) {
      const property = named[r.Type as keyof typeof named];
      if (property) expect({ id, named: r.Properties?.[property] !== undefined }).toEqual({ id, named: true });
    }
  });
});
