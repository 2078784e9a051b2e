import {
  DeletePublicAccessBlockCommand,
  GetPublicAccessBlockCommand,
  PutPublicAccessBlockCommand,
  type S3ControlClient,
} from '@aws-sdk/client-s3-control';
import { errorName } from '@strata/custom-resource-runtime';
import { PublicAccessBlockRefusedError } from './errors';

/** The account's S3 Block Public Access settings (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html). */
export interface PublicAccessBlock {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

export interface Deps {
  s3control: S3ControlClient;
  accountId: string;
  signal?: AbortSignal;
}

// GetPublicAccessBlock's answer when the account has no configuration
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_GetPublicAccessBlock.html).
const NONE = 'NoSuchPublicAccessBlockConfiguration';

export async function readPublicAccessBlock({ s3control, accountId, signal }: Deps): Promise<PublicAccessBlock | null> {
  try {
    const out = await s3control.send(new GetPublicAccessBlockCommand({ AccountId: accountId }), {
      abortSignal: signal,
    });
    const c = out.PublicAccessBlockConfiguration ?? {};
    return {
      BlockPublicAcls: c.BlockPublicAcls === true,
      IgnorePublicAcls: c.IgnorePublicAcls === true,
      BlockPublicPolicy: c.BlockPublicPolicy === true,
      RestrictPublicBuckets: c.RestrictPublicBuckets === true,
    };
  } catch (error) {
    if (errorName(error) === NONE) return null;
    throw new PublicAccessBlockRefusedError('GetPublicAccessBlock', { cause: error });
  }
}

/** Sets all four settings; PutPublicAccessBlock replaces the whole configuration. */
export async function writePublicAccessBlock(
  block: PublicAccessBlock,
  { s3control, accountId, signal }: Deps,
): Promise<void> {
  try {
    await s3control.send(
      new PutPublicAccessBlockCommand({ AccountId: accountId, PublicAccessBlockConfiguration: block }),
      { abortSignal: signal },
    );
  } catch (error) {
    throw new PublicAccessBlockRefusedError('PutPublicAccessBlock', { cause: error });
  }
}

/** Removes the account configuration (each bucket's own settings apply alone again); none left is what we want. */
export async function removePublicAccessBlock({ s3control, accountId, signal }: Deps): Promise<void> {
  try {
    await s3control.send(new DeletePublicAccessBlockCommand({ AccountId: accountId }), { abortSignal: signal });
  } catch (error) {
    if (errorName(error) === NONE) return;
    throw new PublicAccessBlockRefusedError('DeletePublicAccessBlock', { cause: error });
  }
}
