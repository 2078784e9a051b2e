import { join } from 'node:path';
import { type LineItem, type PriceTable, price, total } from '../../src/cost';
import { loadProject, resolveProject } from '../../src/project';

const FIXTURE = join(__dirname, '..', 'fixtures', 'cost', 'root.yaml');
const TABLE: PriceTable = {
  region: 'test-1',
  currency: 'USD',
  date: '2026-11-28',
  hoursPerMonth: 100,
  prices: {
    natGatewayHour: { usd: 1, page: 'p' },
    natGatewayGb: { usd: 0.5, page: 'p' },
    publicIpv4Hour: { usd: 0.01, page: 'p' },
    albHour: { usd: 0.2, page: 'p' },
    albLcuHour: { usd: 0.1, page: 'p' },
    rdsHour: { 'db.t4g.micro': { usd: 0.1, page: 'p' }, 'db.m7g.large': { usd: 1, page: 'p' } },
    rdsGp3GbMonth: { usd: 0.1, page: 'p' },
    alarmMonth: { usd: 0.1, page: 'p' },
    logsIngestGb: { usd: 0.5, page: 'p' },
    logsStoreGbMonth: { usd: 0.03, page: 'p' },
    kmsKeyMonth: { usd: 1, page: 'p' },
    kmsRequests10k: { usd: 0.03, page: 'p' },
    secretMonth: { usd: 0.4, page: 'p' },
    rdsExtendedSupportVcpuHour: { usd: 0.1, page: 'p' },
  },
  rdsVcpus: { page: 'p', classes: { 'db.t4g.micro': 2, 'db.m7g.large': 2 } },
  rdsStandardSupportEnds: { page: 'p', majors: { '8.0': '2026-07-31', '8.4': '2029-07-31' } },
  usage: {
    dev: { natGb: 10, albLcu: 1, logsIngestGb: 0, logsStoredGb: 0, kmsRequests: 0 },
    prod: { natGb: 100, albLcu: 2, logsIngestGb: 0, logsStoredGb: 0, kmsRequests: 20_000 },
  },
};

const priced = (env: string, extra: Record<string, string> = {}): LineItem[] =>
  price(resolveProject(loadProject(FIXTURE), { EnvironmentType: env, ...extra }), env, TABLE);
const line = (items: LineItem[], name: string) => items.find((i) => i.item.startsWith(name));

describe('Unit: cost per environment from fixture templates', () => {
  it('prices only what the environment creates (conditions resolved)', () => {
    const dev = priced('dev');
    expect(line(dev, 'NAT gateways')).toEqual({ item: 'NAT gateways', quantity: '1 x 100 h', monthlyUsd: 100 });
    expect(line(dev, 'NAT data processed')?.monthlyUsd).toBe(5);
    expect(line(dev, 'public IPv4 addresses (NAT EIPs)')?.monthlyUsd).toBe(1);
    expect(line(dev, 'RDS MySQL db.t4g.micro')).toEqual({
      item: 'RDS MySQL db.t4g.micro',
      quantity: '1 x 100 h',
      monthlyUsd: 10,
    });
    expect(line(dev, 'RDS storage')?.monthlyUsd).toBe(10);
  });

  it('doubles instance hours and storage for Multi-AZ and counts every NAT gateway', () => {
    const prod = priced('prod');
    expect(line(prod, 'NAT gateways')?.monthlyUsd).toBe(200);
    expect(line(prod, 'RDS MySQL db.m7g.large Multi-AZ')).toEqual({
      item: 'RDS MySQL db.m7g.large Multi-AZ',
      quantity: '2 x 100 h',
      monthlyUsd: 200,
    });
    expect(line(prod, 'RDS storage')).toEqual({ item: 'RDS storage (gp3)', quantity: '100 GB x 2', monthlyUsd: 20 });
    expect(line(prod, 'public IPv4 addresses (ALB)')?.monthlyUsd).toBe(2);
    expect(line(prod, 'ALB capacity units')?.monthlyUsd).toBe(20);
    expect(line(prod, 'KMS keys and requests')?.monthlyUsd).toBeCloseTo(1.06);
    expect(line(prod, 'Secrets Manager')?.monthlyUsd).toBe(0.4);
    expect(total(prod)).toBeCloseTo(
      prod.reduce((n, i) => n + i.monthlyUsd, 0),
      2,
    );
  });

  describe('RDS Extended Support', () => {
    const EXTENDED = 'RDS Extended Support';

    it('is priced per vCPU-hour, the Multi-AZ standby included, for a major past standard support', () => {
      const prod = priced('prod', { EngineVersion: '8.0.43', Lifecycle: 'open-source-rds-extended-support' });

      expect(line(prod, EXTENDED)).toEqual({
        item: 'RDS Extended Support (MySQL 8.0, year 1-2 rate)',
        quantity: '2 x 2 vCPU x 100 h',
        monthlyUsd: 40,
      });
    });

    it('costs nothing when disabled, or for a major still in standard support', () => {
      expect(line(priced('prod', { EngineVersion: '8.0.43' }), EXTENDED)).toBeUndefined();
      expect(
        line(priced('prod', { EngineVersion: '8.4.6', Lifecycle: 'open-source-rds-extended-support' }), EXTENDED),
      ).toBeUndefined();
    });
  });

  it('refuses to guess a price the table does not have, naming it', () => {
    const table = { ...TABLE, prices: { ...TABLE.prices, rdsHour: {} } };
    expect(() => price(resolveProject(loadProject(FIXTURE), { EnvironmentType: 'dev' }), 'dev', table)).toThrow(
      'data/prices.json has no rdsHour price for db.t4g.micro',
    );
  });
});
