import { Injectable, Logger } from '@nestjs/common';
import {
  isOverQuota,
  whitelistAllows,
  type Account,
  type ProxyProtocol,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { ApiError } from '../http/api-error';
import { InjectStore } from '../store/store.module';
import { LoginGuard } from './login-guard';
import { PasswordCheckQueue } from './password-check-queue';
import { PasswordHasher } from './password-hasher';

export type AuthRejection =
  | 'WRONG_PASSWORD'
  | 'ACCOUNT_DISABLED'
  | 'PROTOCOL_NOT_ALLOWED'
  | 'SOURCE_NOT_ALLOWED'
  | 'OVER_QUOTA';

const PROTOCOL_NAMES: Record<ProxyProtocol, string> = {
  openvpn: 'OpenVPN',
  http: 'the HTTP proxy',
  socks5: 'the SOCKS5 proxy',
};

/**
 * A customer's username and password, checked for one way in. Every rejection is a 401 whose
 * message the customer may see; an unknown username costs the same hash as a wrong password.
 * The login guard charges the attempt first (429 past the failed-login limits), and the check
 * waits its turn in the bounded queue (503 when it is full); OpenVPN logins go first.
 */
@Injectable()
export class AccountAuthenticator {
  private readonly logger = new Logger('Auth');

  constructor(
    @InjectStore() private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly guard: LoginGuard,
    private readonly queue: PasswordCheckQueue,
  ) {}

  async authenticate(
    username: string,
    password: string,
    protocol: ProxyProtocol,
    clientIp: string,
  ): Promise<Account> {
    const attempt = await this.guard.admit(username, clientIp, protocol === 'openvpn');
    const account = await this.store.accounts.getByUsername(username);
    const passwordOk = await this.queue.run(attempt.lane, () =>
      this.hasher.verify(account?.passwordHash, password),
    );
    const reject = (code: AuthRejection, message: string) => {
      this.logger.warn({ message: 'auth rejected', protocol, username, clientIp, code });
      return new ApiError(code, message, undefined, 401);
    };
    if (!account || !passwordOk) throw reject('WRONG_PASSWORD', 'wrong username or password');
    await attempt.succeeded();
    if (!account.enabled) throw reject('ACCOUNT_DISABLED', 'account disabled');
    if (!account.protocols.includes(protocol))
      throw reject(
        'PROTOCOL_NOT_ALLOWED',
        `${PROTOCOL_NAMES[protocol]} is not enabled for this account`,
      );
    if (!whitelistAllows(account, clientIp))
      throw reject('SOURCE_NOT_ALLOWED', 'connecting from an address outside the whitelist');
    if (isOverQuota(account)) throw reject('OVER_QUOTA', 'traffic quota used up');
    return account;
  }
}
