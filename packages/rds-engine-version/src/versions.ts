import {
  paginateDescribeDBEngineVersions,
  paginateDescribeOrderableDBInstanceOptions,
  type RDSClient,
} from '@aws-sdk/client-rds';
import type { Logger } from '@strata/custom-resource-runtime';
import { DowngradeRefusedError, NoEligibleVersionError, PinnedVersionNotOfferedError } from './errors';

export interface VersionRequest {
  engine: string;
  majorVersion: string;
  instanceClass: string;
  multiAz: boolean;
  pinnedVersion?: string;
}

export interface EngineChoice {
  engineVersion: string;
  parameterGroupFamily: string;
}

export interface Candidate extends EngineChoice {
  status: string;
}

export interface VersionDeps {
  rds: RDSClient;
  logger: Logger;
}

/** Numeric comparison of dotted versions: 8.0.10 > 8.0.9. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split('.').map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Available versions of the major, with their family as RDS reports it, and which are orderable. */
export async function gatherVersions(
  request: VersionRequest,
  deps: VersionDeps,
): Promise<{ versions: Candidate[]; orderable: Set<string> }> {
  const versions: Candidate[] = [];
  for await (const page of paginateDescribeDBEngineVersions(
    { client: deps.rds },
    { Engine: request.engine, EngineVersion: request.majorVersion },
  )) {
    for (const v of page.DBEngineVersions ?? []) {
      if (!v.EngineVersion || !v.DBParameterGroupFamily) continue;
      if (!v.EngineVersion.startsWith(`${request.majorVersion}.`)) continue;
      versions.push({
        engineVersion: v.EngineVersion,
        parameterGroupFamily: v.DBParameterGroupFamily,
        status: v.Status ?? 'unknown',
      });
    }
  }
  const orderable = new Set<string>();
  const options = paginateDescribeOrderableDBInstanceOptions(
    { client: deps.rds },
    { Engine: request.engine, DBInstanceClass: request.instanceClass, Vpc: true },
  );
  for await (const page of options) {
    for (const o of page.OrderableDBInstanceOptions ?? []) {
      if (!o.EngineVersion) continue;
      if (request.multiAz && o.MultiAZCapable === false) continue;
      orderable.add(o.EngineVersion);
    }
  }
  return { versions, orderable };
}

/**
 * A standard RDS for MySQL minor version (8.4.6). RDS Extended Support minors are named
 * `<major>.<minor>-RDS.<YYYYMMDD>` (8.0.44-RDS.20260915; docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
 * extended-support-versions.html) and would rank as "newest" numerically. They are deliberately not chosen
 * or accepted: Strata runs majors in standard support, and the database layer's EngineVersion pattern and
 * the sticky-version comparison take standard versions only.
 */
export const STANDARD_VERSION = /^\d+\.\d+\.\d+$/;

export const isStandardVersion = (version: string) => STANDARD_VERSION.test(version);

/**
 * Pure choice. The eligible versions are those `available`, of standard naming (not Extended Support
 * minors) and orderable for the class (Multi-AZ capable when asked). Without a pin: the newest eligible. With a pin: the pin, if eligible. `previous` is the
 * version chosen before: a choice older than it is refused, never applied.
 */
export function chooseVersion(
  request: VersionRequest,
  versions: Candidate[],
  orderable: Set<string>,
  previous?: string,
): EngineChoice {
  const eligible = versions
    .filter((v) => v.status === 'available' && isStandardVersion(v.engineVersion) && orderable.has(v.engineVersion))
    .sort((a, b) => compareVersions(b.engineVersion, a.engineVersion));
  let chosen: Candidate | undefined;
  if (request.pinnedVersion) {
    chosen = eligible.find((v) => v.engineVersion === request.pinnedVersion);
    if (!chosen)
      throw new PinnedVersionNotOfferedError(
        request.pinnedVersion,
        eligible.map((v) => v.engineVersion),
      );
  } else {
    chosen = eligible[0];
    if (!chosen)
      throw new NoEligibleVersionError(request.engine, request.majorVersion, request.instanceClass, request.multiAz);
  }
  if (previous && compareVersions(chosen.engineVersion, previous) < 0) {
    if (request.pinnedVersion) throw new DowngradeRefusedError(previous, chosen.engineVersion);
    const kept = versions.find((v) => v.engineVersion === previous);
    return { engineVersion: previous, parameterGroupFamily: kept?.parameterGroupFamily ?? chosen.parameterGroupFamily };
  }
  return { engineVersion: chosen.engineVersion, parameterGroupFamily: chosen.parameterGroupFamily };
}

export async function lookUpVersion(
  request: VersionRequest,
  deps: VersionDeps,
  previous?: string,
): Promise<EngineChoice> {
  const { versions, orderable } = await gatherVersions(request, deps);
  const choice = chooseVersion(request, versions, orderable, previous);
  deps.logger.info('engine version chosen', {
    ...choice,
    request,
    previous,
    candidates: versions.length,
    orderable: orderable.size,
  });
  return choice;
}
