import {
  DescribeAvailabilityZonesCommand,
  type EC2Client,
  paginateDescribeInstanceTypeOfferings,
} from '@aws-sdk/client-ec2';
import { paginateDescribeOrderableDBInstanceOptions, type RDSClient } from '@aws-sdk/client-rds';
import type { Logger } from '@strata/custom-resource-runtime';
import { NotEnoughZonesError, type Rejection } from './errors';

export interface ZoneRequest {
  count: number;
  instanceTypes: string[];
  dbInstanceClass: string;
  engine: string;
  /** Zones chosen before (on Update): they stay first and in order. */
  previous?: string[];
}

export interface Zone {
  name: string;
  id: string;
}

export interface ZoneChoice {
  zones: Zone[];
  rejected: Rejection[];
}

export interface DiscoveryDeps {
  ec2: EC2Client;
  rds: RDSClient;
  logger: Logger;
  signal?: AbortSignal;
}

/** What each zone offers, gathered from EC2 and RDS. */
export interface ZoneFacts {
  zones: { name: string; id: string; state: string; type: string; optIn: string }[];
  instanceTypesByZone: Map<string, Set<string>>;
  dbClassZones: Set<string>;
}

export async function gatherZoneFacts(request: ZoneRequest, deps: DiscoveryDeps): Promise<ZoneFacts> {
  const { ec2, rds, signal } = deps;
  const described = await ec2.send(new DescribeAvailabilityZonesCommand({ AllAvailabilityZones: true }), {
    abortSignal: signal,
  });
  const zones = (described?.AvailabilityZones ?? []).map((z) => ({
    name: z.ZoneName ?? '',
    id: z.ZoneId ?? '',
    state: z.State ?? 'unknown',
    type: z.ZoneType ?? 'availability-zone',
    optIn: z.OptInStatus ?? 'opt-in-not-required',
  }));

  const instanceTypesByZone = new Map<string, Set<string>>();
  const offerings = paginateDescribeInstanceTypeOfferings(
    { client: ec2 },
    { LocationType: 'availability-zone', Filters: [{ Name: 'instance-type', Values: request.instanceTypes }] },
  );
  for await (const page of offerings) {
    for (const offering of page.InstanceTypeOfferings ?? []) {
      if (!offering.Location || !offering.InstanceType) continue;
      const set = instanceTypesByZone.get(offering.Location) ?? new Set<string>();
      set.add(offering.InstanceType);
      instanceTypesByZone.set(offering.Location, set);
    }
  }

  const dbClassZones = new Set<string>();
  const orderable = paginateDescribeOrderableDBInstanceOptions(
    { client: rds },
    { Engine: request.engine, DBInstanceClass: request.dbInstanceClass, Vpc: true },
  );
  for await (const page of orderable) {
    for (const option of page.OrderableDBInstanceOptions ?? []) {
      for (const az of option.AvailabilityZones ?? []) if (az.Name) dbClassZones.add(az.Name);
    }
  }
  return { zones, instanceTypesByZone, dbClassZones };
}

/** Why a zone cannot host the environment; empty when it can. */
export function rejectionReasons(zone: ZoneFacts['zones'][number], request: ZoneRequest, facts: ZoneFacts): string[] {
  const reasons: string[] = [];
  if (zone.type !== 'availability-zone') reasons.push(`is a ${zone.type}, not an availability zone`);
  if (zone.state !== 'available') reasons.push(`is ${zone.state}`);
  if (zone.optIn !== 'opt-in-not-required' && zone.optIn !== 'opted-in') reasons.push('needs opt-in');
  const offered = facts.instanceTypesByZone.get(zone.name) ?? new Set<string>();
  const missing = request.instanceTypes.filter((t) => !offered.has(t));
  if (missing.length) reasons.push(`offers no ${missing.join(', ')}`);
  if (!facts.dbClassZones.has(zone.name)) reasons.push(`RDS offers no ${request.dbInstanceClass} (${request.engine})`);
  return reasons;
}

/**
 * Pure choice: eligible zones in name order, the previous choice first and in its order (a subnet's zone
 * cannot change without replacing the subnet), then the others, cut to `count`.
 */
export function chooseZones(request: ZoneRequest, facts: ZoneFacts, logger?: Logger): ZoneChoice {
  const rejected: Rejection[] = [];
  const eligible: Zone[] = [];
  for (const zone of [...facts.zones].sort((a, b) => a.name.localeCompare(b.name))) {
    const reasons = rejectionReasons(zone, request, facts);
    if (reasons.length) rejected.push({ zone: zone.name, reasons });
    else eligible.push({ name: zone.name, id: zone.id });
  }
  const byName = new Map(facts.zones.map((z) => [z.name, { name: z.name, id: z.id }]));
  const kept: Zone[] = [];
  for (const name of request.previous ?? []) {
    const zone = byName.get(name);
    if (!zone) continue;
    const reasons = rejectionReasons(
      facts.zones.find((z) => z.name === name) as ZoneFacts['zones'][number],
      request,
      facts,
    );
    // Kept although no longer eligible: moving the zone would replace its subnets. Say so.
    if (reasons.length) logger?.warn('a zone chosen before no longer qualifies; it is kept', { zone: name, reasons });
    kept.push(zone);
  }
  const rest = eligible.filter((z) => !kept.some((k) => k.name === z.name));
  const zones = [...kept, ...rest].slice(0, request.count);
  if (zones.length < request.count) {
    throw new NotEnoughZonesError(
      request.count,
      eligible.map((z) => z.name),
      rejected,
    );
  }
  return { zones, rejected };
}

export async function discoverZones(request: ZoneRequest, deps: DiscoveryDeps): Promise<ZoneChoice> {
  const facts = await gatherZoneFacts(request, deps);
  const choice = chooseZones(request, facts, deps.logger);
  deps.logger.info('zones chosen', {
    zones: choice.zones.map((z) => z.name),
    rejected: choice.rejected,
    previous: request.previous,
  });
  return choice;
}
