import { HttpStatusError, ResponseDeliveryError } from './errors';
import type { Logger } from './logger';

/** Sends one PUT of the body to the URL and resolves with the HTTP status (any status; errors reject). */
export type Put = (url: URL, body: string, timeoutMs: number) => Promise<number>;

/** Options for tests that serve the ResponseURL over https with their own certificate authority. */
export interface PutOptions {
  ca?: string | Buffer;
}

/** A PUT over node's http or https, as the URL says, with the byte length as Content-Length. */
export function createPut(options: PutOptions = {}): Put {
  return async (url, body, timeoutMs) => {
    // Loaded when the answer goes out, not at cold start (the SDK clients load https themselves).
    const transport =
      url.protocol === 'https:'
        ? await import('node:https')
        : url.protocol === 'http:'
          ? await import('node:http')
          : undefined;
    return new Promise((resolve, reject) => {
      if (!transport) {
        reject(new Error(`the ResponseURL scheme ${url.protocol} is neither http: nor https:`));
        return;
      }
      const request = transport.request(
        url,
        {
          method: 'PUT',
          // The presigned URL signs no content type: send an empty one, as CloudFormation's own helpers do.
          headers: { 'content-type': '', 'content-length': Buffer.byteLength(body, 'utf8') },
          timeout: timeoutMs,
          ...(options.ca !== undefined && url.protocol === 'https:' ? { ca: options.ca } : {}),
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(status);
            else reject(new HttpStatusError(status, Buffer.concat(chunks).toString('utf8')));
          });
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer from the ResponseURL within ${timeoutMs} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  };
}

/** The ResponseURL without its signature, for logs: `https://host/path?***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?***' : ''}`;
  } catch {
    return '<unparseable ResponseURL>';
  }
}

export interface DeliveryOptions {
  put: Put;
  logger: Logger;
  attempts: number;
  baseDelayMs: number;
  perAttemptTimeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

const retryable = (error: unknown) =>
  !(error instanceof HttpStatusError) ||
  error.statusCode >= 500 ||
  error.statusCode === 429 ||
  error.statusCode === 408;

/**
 * PUTs the response, retrying network errors, timeouts and 5xx/429 with exponential backoff and full jitter.
 * A 4xx other than 408/429 (an expired or altered presigned URL) will not get better and is not retried.
 */
export async function deliver(url: string, body: string, options: DeliveryOptions): Promise<number> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const target = new URL(url);
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    try {
      const status = await options.put(target, body, options.perAttemptTimeoutMs);
      options.logger.info('response delivered', {
        responseUrl: redactUrl(url),
        status,
        attempt,
        bytes: Buffer.byteLength(body),
      });
      return attempt;
    } catch (error) {
      lastError = error;
      const willRetry = attempt < options.attempts && retryable(error);
      options.logger.warn('response delivery failed', {
        responseUrl: redactUrl(url),
        attempt,
        willRetry,
        error: error instanceof Error ? error.message : String(error),
      });
      if (!willRetry) return Promise.reject(new ResponseDeliveryError(attempt, { cause: error }));
      await sleep(Math.random() * options.baseDelayMs * 2 ** (attempt - 1));
    }
  }
  throw new ResponseDeliveryError(options.attempts, { cause: lastError });
}
