import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  toPublicAccount,
  type AccountUsage,
  type AccountCreateRequest,
  type AccountUpdateRequest,
  type Page,
  type PageQuery,
  type PublicAccount,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { ApiError } from '../http/api-error';
import { SessionCloser } from '../sessions/session-closer';
import { InjectStore } from '../store/store.module';
import { PasswordHasher } from './password-hasher';

@Injectable()
export class AccountsService {
  constructor(
    @InjectStore() private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly closer: SessionCloser,
  ) {}

  async create(
    request: Required<Omit<AccountCreateRequest, 'id'>> & { id?: string },
  ): Promise<PublicAccount> {
    const now = new Date().toISOString();
    const { password, ...fields } = request;
    const account = await this.store.accounts.create({
      ...fields,
      id: request.id ?? randomUUID(),
      passwordHash: await this.hasher.hash(password),
      usedBytes: 0,
      createdAt: now,
      updatedAt: now,
    });
    return toPublicAccount(account);
  }

  async get(id: string): Promise<PublicAccount> {
    const account = await this.store.accounts.get(id);
    if (!account) throw new ApiError('NOT_FOUND', `no account ${id}`);
    return toPublicAccount(account);
  }

  async list(query: PageQuery): Promise<Page<PublicAccount>> {
    const page = await this.store.accounts.list(query);
    return { ...page, items: page.items.map(toPublicAccount) };
  }

  /** Live: disabling an account (or moving it to another device) ends its OpenVPN sessions. */
  async update(id: string, patch: AccountUpdateRequest): Promise<PublicAccount> {
    const before = await this.store.accounts.get(id);
    const account = await this.store.accounts.update(id, patch);
    if (!account.enabled || (before && before.deviceId !== account.deviceId)) {
      await this.closer.closeWhere({ accountId: id }, 'kicked');
    }
    return toPublicAccount(account);
  }

  async setPassword(id: string, password: string): Promise<PublicAccount> {
    return toPublicAccount(
      await this.store.accounts.update(id, { passwordHash: await this.hasher.hash(password) }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.closer.closeWhere({ accountId: id }, 'kicked');
    if (!(await this.store.accounts.delete(id)))
      throw new ApiError('NOT_FOUND', `no account ${id}`);
  }

  async usage(id: string): Promise<AccountUsage> {
    const account = await this.get(id);
    const sessions = await this.store.sessions.listActive({ accountId: id });
    return {
      usedBytes: account.usedBytes,
      quotaBytes: account.quotaBytes,
      activeSessions: sessions.length,
    };
  }

  async resetUsage(id: string): Promise<PublicAccount> {
    return toPublicAccount(await this.store.accounts.resetUsedBytes(id));
  }
}
