/** Errors of @strata/deletion-protection. */

export class ProtectionNotAppliedError extends Error {
  constructor(what: string, cause: unknown) {
    super(
      `could not turn deletion protection on for ${what}: ${(cause as Error).message ?? String(cause)}; ` +
        'nothing was left half-protected (what this request had switched on was switched off again)',
      { cause },
    );
    this.name = 'ProtectionNotAppliedError';
  }
}
