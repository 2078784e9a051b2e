import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { accountSetting, type CustomResource, cfn, restoreOnDelete, stackScope } from '@strata/custom-resource-runtime';
import * as z from 'zod/mini';
import { type EbsDefaults, readEbsDefaults, writeEbsDefaults } from './defaults';
import { KmsKeyRegionError } from './errors';

// A key ARN, single- or multi-Region (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN).
// EBS takes IDs and aliases too, but "authenticates the KMS key asynchronously", so a wrong one "can appear to
// complete, but eventually fails" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyEbsDefaultKmsKeyId.html):
// only a full ARN can be checked here, before anything changes.
const KEY_ARN =
  /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export const properties = z.strictObject({
  KmsKeyId: z.optional(
    cfn.pattern(
      KEY_ARN,
      'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>): pass !GetAtt <Key>.Arn, or leave it out for the AWS managed key',
    ),
  ),
  RestoreOnDelete: restoreOnDelete(),
});
export type Properties = z.infer<typeof properties>;
export type Data = { KmsKeyId: string; EncryptionByDefault: string };

/** What the properties ask for in the stack's region. Pure. */
export function wantedDefaults(p: Properties, stackId: string): EbsDefaults {
  const { region } = stackScope(stackId);
  if (p.KmsKeyId && p.KmsKeyId.split(':')[3] !== region) throw new KmsKeyRegionError(p.KmsKeyId, region);
  return { encrypted: true, kmsKeyId: p.KmsKeyId ?? null };
}

/**
 * Custom::EbsDefaultEncryption: EBS encryption by default in the stack's region (a per-region setting: deploy it in
 * every region). With a customer managed key, the key policy must let the principals that create volumes use it,
 * including the Auto Scaling service-linked role, or instances fail to launch
 * (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
 */
export function ebsDefaultEncryption(
  ec2: EC2Client,
  cloudFormation: CloudFormationClient,
): CustomResource<Properties, Data> {
  return accountSetting(
    {
      name: 'EbsDefaultEncryption',
      kind: 'ebs-default-encryption',
      properties,
      read: (ctx) => readEbsDefaults({ ec2, signal: ctx.signal }),
      apply: async (p, ctx) => {
        const wanted = wantedDefaults(p, ctx.event.StackId);
        await writeEbsDefaults(wanted, { ec2, signal: ctx.signal });
        ctx.logger.info('EBS encryption by default on', { kmsKeyId: wanted.kmsKeyId ?? 'alias/aws/ebs' });
        return { KmsKeyId: wanted.kmsKeyId ?? 'alias/aws/ebs', EncryptionByDefault: 'true' };
      },
      // Never null: every region has a setting (off, with the managed key, until someone changes it).
      restore: (previous, ctx) =>
        writeEbsDefaults(previous ?? { encrypted: false, kmsKeyId: null }, { ec2, signal: ctx.signal }),
    },
    cloudFormation,
  );
}
