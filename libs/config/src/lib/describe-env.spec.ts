import * as z from 'zod/mini';
import { describeEnv } from './describe-env';
import { hostPortField, intField } from './fields';

describe('describeEnv', () => {
  it('lists every variable of a parsing schema with its default and whether it is required', () => {
    const schema = z.pipe(
      z.object({
        TUNNELGATE_LISTEN: hostPortField('127.0.0.1:1'),
        TUNNELGATE_COUNT: intField(3, 1, 9),
        TUNNELGATE_CA_FILE: z.optional(z.string()),
        TUNNELGATE_TOKEN_FILE: z.string(),
      }),
      z.transform((env) => env.TUNNELGATE_COUNT),
    );
    const described = describeEnv(schema, {
      TUNNELGATE_LISTEN: 'where it listens',
      TUNNELGATE_COUNT: 'how many',
      TUNNELGATE_CA_FILE: 'the CA',
      TUNNELGATE_TOKEN_FILE: 'the token',
    });
    expect(described).toEqual([
      {
        name: 'TUNNELGATE_LISTEN',
        description: 'where it listens',
        required: false,
        default: '127.0.0.1:1',
      },
      { name: 'TUNNELGATE_COUNT', description: 'how many', required: false, default: '3' },
      { name: 'TUNNELGATE_CA_FILE', description: 'the CA', required: false },
      { name: 'TUNNELGATE_TOKEN_FILE', description: 'the token', required: true },
    ]);
  });
});
