import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSamConfig, parseKeyValues } from '../../src';
import { SamConfigError } from '../../src/errors';

describe('Function: parseKeyValues', () => {
  it('splits bare, double-quoted and single-quoted values', () => {
    expect(parseKeyValues(`A=1 B="two words" C='x y' D=`, 'f')).toEqual({ A: '1', B: 'two words', C: 'x y', D: '' });
  });

  it('refuses text that is not Key=Value, naming the field', () => {
    expect(() => parseKeyValues('A=1 oops', 'tags')).toThrow(SamConfigError);
    expect(() => parseKeyValues('A=1 oops', 'tags')).toThrow(/tags: cannot parse "oops"/);
  });
});

describe('Function: loadSamConfig', () => {
  it('reads each config-env with a deploy section', () => {
    // Arrange
    const dir = mkdtempSync(join(tmpdir(), 'samconfig-'));
    const file = join(dir, 'samconfig.toml');
    writeFileSync(
      file,
      `version = 0.1
[default.build.parameters]
cached = true
[dev.deploy.parameters]
stack_name = "s-dev"
region = "eu-west-1"
capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
parameter_overrides = "EnvironmentType=dev Owner=\\"a b\\""
tags = "Project=strata"
`,
    );

    // Act
    const envs = loadSamConfig(file);

    // Assert
    expect(Object.keys(envs)).toEqual(['dev']);
    expect(envs.dev).toEqual({
      env: 'dev',
      stackName: 's-dev',
      region: 'eu-west-1',
      capabilities: ['CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND'],
      confirmChangeset: false,
      parameterOverrides: { EnvironmentType: 'dev', Owner: 'a b' },
      tags: { Project: 'strata' },
    });
  });
});
