import * as z from 'zod/mini';
import { cfn, PropertyValidationError, parseProperties } from '../../src';

const schema = z.strictObject({
  Flag: cfn.boolean(),
  Count: cfn.integer(1, 3),
  Types: cfn.stringList(cfn.pattern(/^t4g\./, 'must be a t4g type'), { min: 1 }),
});

describe('Function: parseProperties', () => {
  it('accepts the string forms CloudFormation sends and strips ServiceToken and ServiceTimeout', () => {
    expect(
      parseProperties(schema, {
        ServiceToken: 'arn',
        ServiceTimeout: '60',
        Flag: 'true',
        Count: '2',
        Types: 't4g.small,t4g.micro',
      }),
    ).toEqual({
      Flag: true,
      Count: 2,
      Types: ['t4g.small', 't4g.micro'],
    });
  });

  it('accepts native values and YAML lists', () => {
    expect(parseProperties(schema, { Flag: false, Count: 3, Types: ['t4g.small'] })).toEqual({
      Flag: false,
      Count: 3,
      Types: ['t4g.small'],
    });
  });

  it('names every bad property with its list index', () => {
    // Act
    let error: unknown;
    try {
      parseProperties(schema, { Flag: 'yes', Count: '0', Types: ['t4g.small', 'm5.large'] });
    } catch (e) {
      error = e;
    }

    // Assert
    expect(error).toBeInstanceOf(PropertyValidationError);
    expect((error as PropertyValidationError).issues).toEqual([
      { property: 'Flag', message: 'must be true or false' },
      { property: 'Count', message: 'must be at least 1' },
      { property: 'Types.1', message: 'must be a t4g type' },
    ]);
  });
});
