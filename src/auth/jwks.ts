/**
 * The OIDC provider's signing keys (AUTH_JWKS_URL), fetched with jose's remote key set: cached, refetched
 * when a token names a key id the cache lacks (a rotation), at most once per cooldown so that tokens with
 * made-up key ids cannot make us hammer the provider. A provider that cannot be reached (or answers
 * nonsense) is our outage, not a bad token: it surfaces as KeySetUnavailableError, answered with 503.
 */
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

export class KeySetUnavailableError extends Error {
  constructor(options?: ErrorOptions) {
    super("The identity provider's signing keys cannot be fetched", options);
    this.name = 'KeySetUnavailableError';
  }
}

export interface KeySetTuning {
  /** A fetch that takes longer fails (ms). */
  readonly timeoutMs: number;
  /** After a fetch, an unknown key id is refused without refetching for this long (ms). */
  readonly cooldownMs: number;
  /** Keys older than this are refetched before use (ms): how long a key removed by the provider stays usable. */
  readonly maxAgeMs: number;
}

export const DEFAULT_KEY_SET_TUNING: KeySetTuning = { timeoutMs: 3_000, cooldownMs: 30_000, maxAgeMs: 10 * 60_000 };

/** What the token got wrong, as opposed to failures to get the key set at all. */
const TOKEN_FAULTS = [errors.JWKSNoMatchingKey, errors.JWKSMultipleMatchingKeys, errors.JOSENotSupported];

export function remoteKeySet(url: string, tuning: KeySetTuning = DEFAULT_KEY_SET_TUNING): JWTVerifyGetKey {
  const keys = createRemoteJWKSet(new URL(url), { timeoutDuration: tuning.timeoutMs, cooldownDuration: tuning.cooldownMs, cacheMaxAge: tuning.maxAgeMs });
  return async (header, token) => {
    try {
      return await keys(header, token);
    } catch (error) {
      if (TOKEN_FAULTS.some((fault) => error instanceof fault)) throw error;
      throw new KeySetUnavailableError({ cause: error });
    }
  };
}
