import { Controller, Get, Logger, Query, Res, UseGuards } from '@nestjs/common';
import { ApiRoute } from '../docs/api-route.decorator';
import { API_ROUTES, type Change } from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import type { FastifyReply } from 'fastify';
import * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { InjectStore } from '../store/store.module';

export const watchQuerySchema = z.strictObject({
  /** Resume after this revision (from an earlier stream); without it the stream starts with a snapshot. */
  after: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
});

/** Tells a client its stream is alive; a client that hears nothing for 3 of these reconnects. */
const HEARTBEAT_MS = 15_000;

/**
 * GET /v1/sessions/watch: newline-delimited JSON. Without `after`: a `snapshot` line (every
 * active session and the revision it was taken at), then a `change` line per session change
 * after it; with `after`: the changes after that revision (410 when they were trimmed: take a
 * snapshot again). `heartbeat` lines carry the current revision. This is how proxy-gateway keeps
 * its session table current without polling.
 */
@Controller(API_ROUTES.sessionsWatch)
@UseGuards(ApiTokenGuard)
export class SessionsWatchController {
  private readonly logger = new Logger('SessionsWatch');

  constructor(@InjectStore() private readonly store: Store) {}

  @Get()
  @ApiRoute({
    summary: 'NDJSON stream: snapshot, then session changes, resumable by revision',
    query: watchQuerySchema,
    errors: { 410: 'those changes were trimmed: take a snapshot' },
  })
  async watch(
    @Query(new ZodValidationPipe(watchQuerySchema)) query: z.output<typeof watchQuerySchema>,
    @Res() reply: FastifyReply,
  ) {
    let revision = query.after ?? (await this.store.changes.currentRevision());
    const head: string[] = [];
    if (query.after === undefined) {
      const sessions = await this.store.sessions.listActive();
      head.push(JSON.stringify({ type: 'snapshot', revision, sessions }));
    } else {
      // Fails with REVISION_COMPACTED (410) before anything is streamed.
      await this.store.changes.since(revision, 1);
    }
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    for (const line of head) out.write(`${line}\n`);
    const send = (change: Change) => {
      revision = change.revision;
      if (change.kind !== 'session') return;
      out.write(
        `${JSON.stringify({ type: 'change', revision: change.revision, op: change.op, session: change.value })}\n`,
      );
    };
    const watch = this.store.changes.watch(revision, send, (error) => {
      this.logger.warn({ message: 'session watch ended', error: error.message });
      out.end(`${JSON.stringify({ type: 'error', message: error.message })}\n`);
    });
    const heartbeat = setInterval(
      () => out.write(`${JSON.stringify({ type: 'heartbeat', revision })}\n`),
      HEARTBEAT_MS,
    );
    out.on('close', () => {
      clearInterval(heartbeat);
      void watch.stop();
    });
  }
}
