import type { JsonObject } from '@strata/cfn-model';
import { environment, ofType, props, resourcesOf, templates } from './helpers';

const dev = environment('dev');
const staging = environment('staging');
const prod = environment('prod');

const identifiers = (e: typeof prod) =>
  ofType(resourcesOf(e, 'compliance'), 'AWS::Config::ConfigRule').map(
    ([, x]) => (props(x).Source as JsonObject).SourceIdentifier,
  );

describe('Layer: compliance', () => {
  it('creates no account-wide singleton: no trail, recorder, delivery channel, metric filter or alarm', () => {
    for (const e of [dev, staging, prod]) {
      for (const layer of Object.values(e.layers)) {
        const types = new Set(Object.values(layer.resources).map((r) => r.Type));
        for (const singleton of [
          'AWS::CloudTrail::Trail',
          'AWS::Config::ConfigurationRecorder',
          'AWS::Config::DeliveryChannel',
          'AWS::Logs::MetricFilter',
        ]) {
          expect(types.has(singleton)).toBe(false);
        }
      }
    }
  });

  it("reads the account layer's recorder from SSM in the root, so a missing account layer is refused before any stack exists", () => {
    expect(templates.root?.Parameters?.AccountConfigRecorderName).toEqual(
      expect.objectContaining({
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/strata/account/config/recorder-name',
      }),
    );
    // the layer takes the recorder's name itself, so it deploys alone with the name passed in
    expect(templates.compliance?.Parameters?.ConfigRecorderName?.Type).toBe('String');
    for (const e of [dev, staging, prod]) {
      expect(e.layers.ComplianceStack?.parameters.ConfigRecorderName).toBe(
        '<ssm:/strata/account/config/recorder-name>',
      );
    }
  });

  it("scopes every rule to this environment's resources by the tag its database carries", () => {
    for (const e of [dev, staging, prod]) {
      for (const [, rule] of ofType(resourcesOf(e, 'compliance'), 'AWS::Config::ConfigRule')) {
        expect(props(rule).Scope).toEqual({
          TagKey: 'strata:environment',
          TagValue: e.root.parameters.EnvironmentSuffix,
        });
      }
      const tags = props(resourcesOf(e, 'database').DbInstance).Tags;
      expect(tags).toContainEqual({ Key: 'strata:environment', Value: e.root.parameters.EnvironmentSuffix });
    }
  });

  it('checks what each environment promises: backups everywhere, deletion protection outside dev, Multi-AZ in prod', () => {
    expect(identifiers(dev).sort()).toEqual(['DB_INSTANCE_BACKUP_ENABLED']);
    expect(identifiers(staging).sort()).toEqual([
      'DB_INSTANCE_BACKUP_ENABLED',
      'RDS_INSTANCE_DELETION_PROTECTION_ENABLED',
    ]);
    expect(identifiers(prod).sort()).toEqual([
      'DB_INSTANCE_BACKUP_ENABLED',
      'RDS_INSTANCE_DELETION_PROTECTION_ENABLED',
      'RDS_MULTI_AZ_SUPPORT',
    ]);
  });

  it('names each rule after its environment, so two environments in one account never collide', () => {
    const names = (e: typeof prod) =>
      ofType(resourcesOf(e, 'compliance'), 'AWS::Config::ConfigRule').map(([, x]) => String(props(x).ConfigRuleName));
    for (const n of names(staging)) expect(n.startsWith('strata-staging-')).toBe(true);
    expect(names(dev).filter((n) => names(prod).includes(n))).toEqual([]);
  });
});
