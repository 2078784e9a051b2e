/** Errors of @strata/rds-engine-version. */

export class NoEligibleVersionError extends Error {
  constructor(engine: string, major: string, instanceClass: string, multiAz: boolean) {
    super(
      `no available ${engine} ${major} version is orderable for ${instanceClass}${multiAz ? ' in Multi-AZ' : ''}: choose another InstanceClass or MajorVersion`,
    );
    this.name = 'NoEligibleVersionError';
  }
}

export class PinnedVersionNotOfferedError extends Error {
  constructor(pinned: string, valid: string[]) {
    const shown = valid.slice(0, 25);
    super(
      `PinnedVersion ${pinned} is not offered for this engine, major and class; valid versions, newest first: ${shown.join(', ') || 'none'}${valid.length > shown.length ? ', …' : ''}`,
    );
    this.name = 'PinnedVersionNotOfferedError';
  }
}

export class DowngradeRefusedError extends Error {
  constructor(current: string, requested: string) {
    super(
      `the database runs ${current}; ${requested} would be a downgrade, which RDS cannot do: pin ${current} or newer`,
    );
    this.name = 'DowngradeRefusedError';
  }
}
