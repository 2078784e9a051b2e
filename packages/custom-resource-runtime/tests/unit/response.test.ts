import { encodeResponse, MAX_RESPONSE_BYTES, type ResponseBody } from '../../src';

const base: ResponseBody = {
  Status: 'FAILED',
  PhysicalResourceId: 'p',
  StackId: 's',
  RequestId: 'r',
  LogicalResourceId: 'l',
};

describe('Function: encodeResponse', () => {
  it('leaves a small response untouched', () => {
    expect(encodeResponse({ ...base, Reason: 'short' })).toBe(JSON.stringify({ ...base, Reason: 'short' }));
  });

  it.each([
    ['ascii', 'a'],
    ['two-byte', 'é'],
    ['four-byte', '🦆'],
    ['quote (escaped in JSON)', '"'],
    ['newline (escaped in JSON)', '\n'],
  ])('cuts a long %s Reason at a character boundary within the limit', (_kind, unit) => {
    const encoded = encodeResponse({ ...base, Reason: unit.repeat(5000) });

    expect(Buffer.byteLength(encoded)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(Buffer.byteLength(encoded)).toBeGreaterThan(MAX_RESPONSE_BYTES - 16);
    const reason = (JSON.parse(encoded) as ResponseBody).Reason ?? '';
    expect(reason.endsWith(' [truncated]')).toBe(true);
    expect(reason.replace(' [truncated]', '').split(unit).join('')).toBe('');
  });
});
