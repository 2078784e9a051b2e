/** The response document CloudFormation reads, capped at its 4096-byte limit. */

export const MAX_RESPONSE_BYTES = 4096;
export const TRUNCATION_MARK = ' [truncated]';

export type Status = 'SUCCESS' | 'FAILED';
export type ResponseData = Record<string, string>;

export interface ResponseBody {
  Status: Status;
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho?: boolean;
  Data?: ResponseData;
}

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Serialises a response within MAX_RESPONSE_BYTES. A long Reason is cut (at a character boundary, so the
 * JSON stays valid) and marked; Data that alone cannot fit turns the answer into a FAILED that says so,
 * because CloudFormation would reject the whole response otherwise.
 */
export function encodeResponse(body: ResponseBody): string {
  const json = JSON.stringify(body);
  if (bytes(json) <= MAX_RESPONSE_BYTES) return json;

  if (body.Data !== undefined && bytes(JSON.stringify({ ...body, Reason: '' })) > MAX_RESPONSE_BYTES) {
    const dataBytes = bytes(JSON.stringify(body.Data));
    const { Data: _dropped, ...rest } = body;
    return encodeResponse({
      ...rest,
      Status: 'FAILED',
      Reason: `the response Data is ${dataBytes} bytes but CloudFormation accepts at most ${MAX_RESPONSE_BYTES} bytes for the whole response: return fewer or shorter attributes`,
    });
  }

  // Longest prefix of Reason (in code points) that fits with the truncation mark.
  const chars = Array.from(body.Reason ?? '');
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const candidate = JSON.stringify({ ...body, Reason: chars.slice(0, mid).join('') + TRUNCATION_MARK });
    if (bytes(candidate) <= MAX_RESPONSE_BYTES) low = mid;
    else high = mid - 1;
  }
  return JSON.stringify({ ...body, Reason: chars.slice(0, low).join('') + TRUNCATION_MARK });
}
