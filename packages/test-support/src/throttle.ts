import { Readable } from 'node:stream';
import { HttpResponse } from '@smithy/core/transport';

/**
 * An SDK request handler that answers the first `throttles` requests with a throttling error in the
 * service's protocol and then the given success body: proves a real client's retry strategy handles
 * throttling, without a network.
 */
export function throttlingHandler(options: {
  throttles: number;
  error: { status: number; contentType: string; body: string };
  success: { contentType: string; body: string };
}) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    handle: async () => {
      calls += 1;
      const r = calls <= options.throttles ? options.error : { status: 200, ...options.success };
      return {
        response: new HttpResponse({
          statusCode: r.status,
          headers: { 'content-type': r.contentType },
          body: Readable.from([Buffer.from(r.body)]),
        }),
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
}
