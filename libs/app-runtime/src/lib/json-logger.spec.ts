import { PassThrough } from 'node:stream';
import { createWinstonLogger } from './json-logger';

function capture() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
  });
  return { stream, lines };
}

describe('JSON logger', () => {
  it('writes one JSON line per entry with the app, level, time and message', async () => {
    const { stream, lines } = capture();
    const logger = createWinstonLogger({ app: 'tunnel-api', level: 'info', stream });
    logger.info('client connected', { sessionId: 's1', clientIp: '10.9.0.2' });
    logger.debug('not at info level');
    await new Promise((r) => setImmediate(r));
    expect(lines).toEqual([
      expect.objectContaining({
        app: 'tunnel-api',
        level: 'info',
        message: 'client connected',
        sessionId: 's1',
        clientIp: '10.9.0.2',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
    ]);
  });

  it('redacts secrets however deep they are nested', async () => {
    const { stream, lines } = capture();
    const logger = createWinstonLogger({ app: 'x', level: 'info', stream });
    logger.info('auth', {
      password: 'hunter2',
      request: { body: { password: 'p', username: 'u' }, token: 't' },
    });
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/hunter2|"p"|"t"/);
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      request: { body: { username: 'u' }, token: '[redacted]' },
    });
  });
});
