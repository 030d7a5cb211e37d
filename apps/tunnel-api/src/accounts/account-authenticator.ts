import { Injectable, Logger } from '@nestjs/common';
import {
  admissionRefusal,
  type Account,
  type AdmissionRefusalCode,
  type ProxyProtocol,
} from '@tunnelgate/sessions';
import type { Store } from '@tunnelgate/store';
import { ApiError } from '../http/api-error';
import { InjectStore } from '../store/store.module';
import { LoginGuard } from './login-guard';
import { PasswordCheckQueue } from './password-check-queue';
import { PasswordHasher } from './password-hasher';

export type AuthRejection = 'WRONG_PASSWORD' | AdmissionRefusalCode;

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
    // The connection limit is the connect's to check (it counts the connections), not the login's.
    const refusal = admissionRefusal(account, { protocol, clientIp });
    if (refusal) throw reject(refusal.code, refusal.message);
    return account;
  }
}
