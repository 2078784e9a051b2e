/** Errors of @strata/tls-verification. */

export class MysqlProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MysqlProtocolError';
  }
}

export class VerificationFailedError extends Error {
  constructor(failed: { name: string; detail: string }[]) {
    super(`TLS verification failed (Mode enforce): ${failed.map((f) => `${f.name}: ${f.detail}`).join('; ')}`);
    this.name = 'VerificationFailedError';
  }
}
