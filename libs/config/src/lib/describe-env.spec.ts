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
    expect(describeEnv(schema)).toEqual([
      { name: 'TUNNELGATE_LISTEN', required: false, default: '127.0.0.1:1' },
      { name: 'TUNNELGATE_COUNT', required: false, default: '3' },
      { name: 'TUNNELGATE_CA_FILE', required: false },
      { name: 'TUNNELGATE_TOKEN_FILE', required: true },
    ]);
  });
});
