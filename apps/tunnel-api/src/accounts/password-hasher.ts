import { Injectable } from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id with the library's defaults (OWASP's minimum: 19 MiB, 2 passes). A native Rust
 * build shipped inside the npm package: ~50 ms a hash here, off the event loop.
 */
@Injectable()
export class PasswordHasher {
  /** Verified when the username is unknown, so "no such user" takes as long as "wrong password". */
  private readonly decoy = hash('tunnelgate-decoy-password');

  hash(password: string): Promise<string> {
    return hash(password);
  }

  async verify(passwordHash: string | undefined, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash ?? (await this.decoy), password);
    } catch {
      return false;
    }
  }
}
