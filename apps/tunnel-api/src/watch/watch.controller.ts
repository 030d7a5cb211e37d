import {
  Controller,
  Get,
  Logger,
  Query,
  Req,
  Res,
  UseGuards,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import {
  API_ROUTES,
  toPublicAccount,
  watchQuerySchema,
  type Change,
  WATCH_KINDS,
  type WatchKind,
  type WatchLine,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type * as z from 'zod/mini';
import { ApiTokenGuard } from '../auth/api-token.guard';
import { AllowPrincipals, PRINCIPAL, type WithPrincipal } from '../auth/principal';
import { toPublicDevice } from '../devices/devices.service';
import { InjectTunnelApiConfig, type TunnelApiConfig } from '../config/tunnel-api.config';
import { ApiRoute } from '../docs/api-route.decorator';
import { ZodValidationPipe } from '../http/zod-validation.pipe';
import { InjectStore } from '../store/store.module';

/** Tells a client its stream is alive; a client that hears nothing for 3 of these reconnects. */
const HEARTBEAT_MS = 15_000;

/**
 * A change as it may leave tunnel-api: accounts without their password hash, devices with the
 * credentials of their proxies only for gateways (which dial them), never for anyone else.
 */
function changeLine(change: Change, forGateway: boolean): WatchLine {
  const { revision, op } = change;
  switch (change.kind) {
    case 'account':
      return {
        type: 'change',
        revision,
        op,
        kind: 'account',
        value: toPublicAccount(change.value),
      };
    case 'device': {
      const value = forGateway ? change.value : toPublicDevice(change.value);
      return { type: 'change', revision, op, kind: 'device', value };
    }
    case 'session':
      return { type: 'change', revision, op, kind: 'session', value: change.value };
  }
}

/**
 * GET /v1/watch: newline-delimited JSON. Without `after`: a `snapshot` line (active sessions,
 * accounts and devices, as `kinds` asks, and the revision it was taken at), then a `change` line
 * per change after it; with `after`: the changes after that revision (410 when they were
 * trimmed: take a snapshot again). `heartbeat` lines carry the current revision. This is how
 * proxy-gateway keeps its tables current without polling.
 */
@Controller(API_ROUTES.watch)
@UseGuards(ApiTokenGuard)
@AllowPrincipals('gateway')
export class WatchController implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Watch');
  /** Open streams: a stop must end them, or the server would wait on them forever. */
  private readonly open = new Set<() => void>();

  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }

  constructor(
    @InjectStore() private readonly store: Store,
    @InjectTunnelApiConfig() private readonly config: TunnelApiConfig,
  ) {}

  @Get()
  @ApiRoute({
    summary: 'NDJSON stream: snapshot, then changes, resumable by revision',
    query: watchQuerySchema,
    response: {
      mediaType: 'application/x-ndjson',
      description: 'one JSON line each: snapshot, change or heartbeat (the watchLine schema)',
    },
    errors: { 410: 'those changes were trimmed, or are of another epoch: take a snapshot' },
  })
  async watch(
    @Query(new ZodValidationPipe(watchQuerySchema)) query: z.output<typeof watchQuerySchema>,
    @Req() request: FastifyRequest & WithPrincipal,
    @Res() reply: FastifyReply,
  ) {
    const forGateway = request[PRINCIPAL] === 'gateway';
    const kinds = new Set<WatchKind>(query.kinds ?? WATCH_KINDS);
    const head = await this.store.changes.head();
    let revision = query.after ?? head.revision;
    let snapshot: WatchLine | undefined;
    if (query.after === undefined) {
      snapshot = {
        type: 'snapshot',
        revision,
        epoch: head.epoch,
        ...(kinds.has('session') && { sessions: await this.store.sessions.listActive() }),
        ...(kinds.has('account') && { accounts: (await this.allAccounts()).map(toPublicAccount) }),
        ...(kinds.has('device') && {
          devices: (await this.store.devices.list()).map((device) =>
            forGateway ? device : toPublicDevice(device),
          ),
        }),
      };
    } else {
      // Fails with REVISION_COMPACTED (410) before anything is streamed: trimmed, ahead of the
      // store, or of another epoch.
      await this.store.changes.since(revision, 1, query.epoch);
    }
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    const snapshotLine = snapshot ? `${JSON.stringify(snapshot)}\n` : '';
    out.write(snapshotLine);
    // A watcher that does not read would have every change queued for it in this process:
    // past the bound (beyond its snapshot) it is dropped, and resumes by revision when it reads
    // again.
    const bound = this.config.watchBufferBytes + Buffer.byteLength(snapshotLine);
    const write = (line: string) => {
      if (out.destroyed) return;
      out.write(line);
      if (out.writableLength <= bound) return;
      this.logger.warn({
        message: 'dropped a watcher that does not read',
        buffered: out.writableLength,
      });
      out.destroy();
    };
    const send = (change: Change) => {
      revision = change.revision;
      if (kinds.has(change.kind)) write(`${JSON.stringify(changeLine(change, forGateway))}\n`);
    };
    // The epoch of this stream's start: data replaced while it streams ends it with an error.
    const watch = this.store.changes.watch(
      revision,
      send,
      (error) => {
        this.logger.warn({ message: 'watch ended', error: error.message });
        out.end(
          `${JSON.stringify({ type: 'error', message: error.message } satisfies WatchLine)}\n`,
        );
      },
      query.epoch ?? head.epoch,
    );
    const heartbeat = setInterval(
      () => write(`${JSON.stringify({ type: 'heartbeat', revision } satisfies WatchLine)}\n`),
      HEARTBEAT_MS,
    );
    const end = () => out.end();
    this.open.add(end);
    out.on('close', () => {
      this.open.delete(end);
      clearInterval(heartbeat);
      void watch.stop();
    });
  }

  private async allAccounts() {
    const accounts = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.accounts.list({ limit: 1000, cursor });
      accounts.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return accounts;
  }
}
