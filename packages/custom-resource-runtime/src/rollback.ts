import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** Root-stack statuses of a rollback: the operation that made this resource is being undone. */
const ROLLING_BACK = new Set(['ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'IMPORT_ROLLBACK_IN_PROGRESS']);

/**
 * Whether a Delete comes from the rollback of the operation that created the resource. CloudFormation sends a
 * custom resource Delete only when it removes the resource: on stack delete, on removal in an update, or on the
 * rollback of the operation that created it (it is not deleted when an update that did not create it rolls
 * back). During such a rollback the root stack is in ROLLBACK_IN_PROGRESS (a failed create) or
 * UPDATE_ROLLBACK_IN_PROGRESS; a nested stack deleted by it is itself in DELETE_IN_PROGRESS, so the root
 * (RootId) is what tells (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html).
 */
export async function isRollbackOfCreate(
  cfn: CloudFormationClient,
  stackId: string,
  signal?: AbortSignal,
): Promise<boolean> {
  const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: signal }))
    .Stacks?.[0];
  const rootId = stack?.RootId ?? stackId;
  const root =
    rootId === stackId
      ? stack
      : (await cfn.send(new DescribeStacksCommand({ StackName: rootId }), { abortSignal: signal })).Stacks?.[0];
  return ROLLING_BACK.has(root?.StackStatus ?? '');
}
