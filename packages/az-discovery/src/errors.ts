/** Errors of @strata/az-discovery. */

export interface Rejection {
  zone: string;
  reasons: string[];
}

export class NotEnoughZonesError extends Error {
  readonly rejected: Rejection[];

  constructor(wanted: number, eligible: string[], rejected: Rejection[]) {
    const detail = rejected.map((r) => `${r.zone}: ${r.reasons.join(', ')}`).join('; ');
    super(
      `need ${wanted} availability zones but only ${eligible.length} qualify (${eligible.join(', ') || 'none'})` +
        (detail ? `; rejected ${detail}` : '') +
        ': lower Count, or choose instance types and a DB class offered in more zones',
    );
    this.name = 'NotEnoughZonesError';
    this.rejected = rejected;
  }
}
