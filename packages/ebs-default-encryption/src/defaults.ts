import {
  DisableEbsEncryptionByDefaultCommand,
  type EC2Client,
  EnableEbsEncryptionByDefaultCommand,
  GetEbsDefaultKmsKeyIdCommand,
  GetEbsEncryptionByDefaultCommand,
  ModifyEbsDefaultKmsKeyIdCommand,
  ResetEbsDefaultKmsKeyIdCommand,
} from '@aws-sdk/client-ec2';
import { EbsSettingRefusedError } from './errors';

/** EBS encryption by default in one region: on or off, and the key (null: the AWS managed key aws/ebs). */
export interface EbsDefaults {
  encrypted: boolean;
  kmsKeyId: string | null;
}

export interface Deps {
  ec2: EC2Client;
  signal?: AbortSignal;
}

/** The AWS managed key, as GetEbsDefaultKmsKeyId names it: `alias/aws/ebs`, or that alias's ARN. */
export const isManagedKey = (keyId: string) => keyId === 'alias/aws/ebs' || keyId.endsWith(':alias/aws/ebs');

async function call<T>(operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new EbsSettingRefusedError(operation, { cause: error });
  }
}

export async function readEbsDefaults({ ec2, signal }: Deps): Promise<EbsDefaults> {
  const options = { abortSignal: signal };
  const on = await call('GetEbsEncryptionByDefault', () => ec2.send(new GetEbsEncryptionByDefaultCommand({}), options));
  const key = await call('GetEbsDefaultKmsKeyId', () => ec2.send(new GetEbsDefaultKmsKeyIdCommand({}), options));
  const kmsKeyId = key.KmsKeyId && !isManagedKey(key.KmsKeyId) ? key.KmsKeyId : null;
  return { encrypted: on.EbsEncryptionByDefault === true, kmsKeyId };
}

/**
 * Sets the key first, then turns encryption on or off, so no volume is created in between with a key that was
 * not chosen (https://docs.aws.amazon.com/ebs/latest/userguide/encryption-by-default.html: the setting and the key
 * apply to every new volume and snapshot copy in the region). Existing volumes keep their encryption.
 */
export async function writeEbsDefaults(wanted: EbsDefaults, { ec2, signal }: Deps): Promise<void> {
  const options = { abortSignal: signal };
  if (wanted.kmsKeyId === null) {
    await call('ResetEbsDefaultKmsKeyId', () => ec2.send(new ResetEbsDefaultKmsKeyIdCommand({}), options));
  } else {
    const KmsKeyId = wanted.kmsKeyId;
    await call('ModifyEbsDefaultKmsKeyId', () => ec2.send(new ModifyEbsDefaultKmsKeyIdCommand({ KmsKeyId }), options));
  }
  if (wanted.encrypted) {
    await call('EnableEbsEncryptionByDefault', () => ec2.send(new EnableEbsEncryptionByDefaultCommand({}), options));
  } else {
    await call('DisableEbsEncryptionByDefault', () => ec2.send(new DisableEbsEncryptionByDefaultCommand({}), options));
  }
}
