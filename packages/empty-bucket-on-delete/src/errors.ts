/** Errors of @strata/empty-bucket-on-delete. */

export class ObjectsNotDeletedError extends Error {
  constructor(bucket: string, failures: { key: string; code: string }[]) {
    const shown = failures
      .slice(0, 5)
      .map((f) => `${f.key} (${f.code})`)
      .join(', ');
    super(
      `BucketName ${bucket}: ${failures.length} object version(s) could not be deleted: ${shown}; ` +
        'check Object Lock or a bucket policy that denies s3:DeleteObjectVersion, then retry the delete',
    );
    this.name = 'ObjectsNotDeletedError';
  }
}

export class BucketKeepsFillingError extends Error {
  constructor(bucket: string, rounds: number) {
    super(
      `BucketName ${bucket}: still holds objects after ${rounds} rounds of deletion although writes are denied; ` +
        'something outside the stack writes to it (replication, another account): stop it and retry the delete',
    );
    this.name = 'BucketKeepsFillingError';
  }
}
