/**
 * Configuration from the environment (README, "Configuration"), validated once at start-up. A bad value stops start-up
 * with a message naming the variable. Secrets left unset in embedded mode are generated once and kept under
 * DATA_DIR, so a new user needs nothing but `npm start`.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`Invalid configuration: ${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const hours = z.coerce.number().positive().max(24 * 365);
/** Hours from a referral's request to its due time, per urgency. */
export type SlaHours = Readonly<Record<'emergency' | 'high' | 'normal' | 'low', number>>;
export const DEFAULT_SLA_HOURS: SlaHours = { emergency: 24, high: 72, normal: 168, low: 336 };
const flag = z.enum(['true', 'false']).default('false').transform((value) => value === 'true');

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  EVENT_STORE: z.enum(['sqlite', 'eventstoredb']).default('sqlite'),
  // The client (also for KurrentDB) understands only these schemes.
  EVENTSTORE_URL: z.string().regex(/^esdb(\+discover)?:\/\//, 'must be an esdb:// or esdb+discover:// connection string').optional(),
  READ_STORE: z.enum(['sqlite', 'mongodb']).default('sqlite'),
  MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// connection string').optional(),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  // Keys fetched over plain HTTP could be swapped in transit: only a loopback provider may skip TLS.
  AUTH_JWKS_URL: z.url().refine(isSafeProviderUrl, 'must be an https:// URL (http:// only on localhost)').optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_OIDC_CLIENT_ID: z.string().min(1).max(255).optional(),
  AUTH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  AUTH_OIDC_SCOPES: z.string().transform((list) => list.split(/\s+/).filter(Boolean))
    .refine((scopes) => scopes.includes('openid'), 'must be a space-separated list of scopes that includes openid').optional(),
  MASTER_KEY: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (256 bits)').optional(),
  ANALYTICS_MIN_CELL: z.coerce.number().int().min(1).default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SLA_HOURS_EMERGENCY: hours.default(DEFAULT_SLA_HOURS.emergency),
  SLA_HOURS_HIGH: hours.default(DEFAULT_SLA_HOURS.high),
  SLA_HOURS_NORMAL: hours.default(DEFAULT_SLA_HOURS.normal),
  SLA_HOURS_LOW: hours.default(DEFAULT_SLA_HOURS.low),
  EXPIRY_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  VIEW_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  RATE_LIMIT_WRITES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  PUBLIC_URL: z.url().refine((value) => /^https?:$/.test(new URL(value).protocol), 'must be an http:// or https:// URL').optional(),
  SESSION_HOURS: hours.default(12),
  RUN_PROJECTIONS: z.enum(['true', 'false']).default('true'),
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(10),
  CORS_ORIGINS: z.string().transform((list) => list.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every(isOrigin), 'must be a comma-separated list of origins such as https://app.example.org').optional(),
  WEBHOOK_RETRY_HOURS: hours.default(24),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  WEBHOOK_ALLOW_LOOPBACK: flag,
  WEBHOOK_ALLOW_PRIVATE: flag,
  WEBHOOK_SLA_WARNING_HOURS: z.string().transform((list) => list.split(',').map((hour) => hour.trim()).filter(Boolean).map(Number))
    .refine((list) => list.every((hour) => Number.isFinite(hour) && hour > 0 && hour <= 24 * 14), 'must be a comma-separated list of hours such as 24,4 (each above 0, at most 336)')
    .optional(),
  WEBHOOK_LEASE_SECONDS: z.coerce.number().int().min(2).max(600).default(15),
});

function isSafeProviderUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}

/** scheme://host[:port] exactly, as a browser sends it in `Origin`. */
function isOrigin(value: string): boolean {
  return URL.canParse(value) && new URL(value).origin === value;
}

export interface AppConfig {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly eventStore: { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'eventstoredb'; readonly url: string };
  /** The embedded event log and EVENTSTORE_URL whatever EVENT_STORE says: `migrate` copies the one into the other. */
  readonly embeddedEventLog: string;
  readonly eventStoreUrl: string | null;
  readonly readStore: { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'mongodb'; readonly url: string };
  /** The embedded read store and MONGODB_URL whatever READ_STORE says: `migrate` copies the subject keys from the one into the other. */
  readonly embeddedViews: string;
  readonly mongodbUrl: string | null;
  readonly auth: AuthConfig;
  readonly masterKey: Buffer;
  readonly analyticsMinCell: number;
  readonly logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  readonly slaHours: SlaHours;
  /** How often the scheduler looks for overdue requested referrals; 0 turns it off. */
  readonly expiryIntervalSeconds: number;
  /** How long a GET with X-Min-Position waits for the views before answering 503. */
  readonly viewWaitMs: number;
  /** Writes (POST, DELETE) per minute per token subject (per IP without a valid token); 0 turns the limit off. */
  readonly rateLimitWritesPerMinute: number;
  /** Origins browsers may call the API from; none by default. */
  readonly corsOrigins: readonly string[];
  /** Where people reach the console (sign-in links, OIDC redirects, cookies marked Secure on https). */
  readonly publicUrl: string;
  /** How long a console session lasts after sign-in. */
  readonly sessionHours: number;
  /** Console sign-in at the OIDC provider (authorization code flow with PKCE); null without AUTH_OIDC_CLIENT_ID. */
  readonly oidcSignIn: OidcSignInConfig | null;
  readonly webhooks: WebhookConfig;
  /** false: this process never runs a projection, only follows the checkpoints another process writes (`rujukan projections run`, another replica). */
  readonly runProjections: boolean;
  /** After SIGTERM, how long in-flight requests and the stores' shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutSeconds: number;
}

/** Delivery of webhooks (src/webhooks). */
export interface WebhookConfig {
  /** How long a delivery is retried after its first attempt before it is dead-lettered. */
  readonly retryHours: number;
  /** How long one attempt may take. */
  readonly timeoutMs: number;
  /** Targets on this host (`http://127.0.0.1`, `http://localhost`): for development and tests only. */
  readonly allowLoopback: boolean;
  /** Targets in private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), over https. */
  readonly allowPrivate: boolean;
  /** "Due in N hours" warnings for referrals still unanswered, largest first. */
  readonly slaWarningHours: readonly number[];
  /** How long the replica that delivers keeps the delivery lease without renewing it: how soon another takes over. */
  readonly leaseMs: number;
}

/** The console as a client of the provider at AUTH_ISSUER, found by discovery. */
export interface OidcSignInConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** A confidential client's secret; null for a public client (PKCE alone). */
  readonly clientSecret: string | null;
  readonly scopes: readonly string[];
}

/** How bearer tokens are verified; issuer and audience, when set, are checked on every token. */
export interface AuthConfig {
  readonly jwtSecret: string | null;
  readonly jwksUrl: string | null;
  readonly issuer: string | null;
  readonly audience: string | null;
}

/** Reads a secret kept under DATA_DIR, creating it (readable by the owner only) on first use. */
function keptSecret(dataDir: string, name: string, make: () => string): string {
  const file = join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = make();
  writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable (as compose writes `${X:-}`) means unset.
  const set = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(set);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const env = parsed.data;
  const dataDir = resolve(env.DATA_DIR);
  const embedded = env.EVENT_STORE === 'sqlite';
  if (env.EVENT_STORE === 'eventstoredb' && !env.EVENTSTORE_URL) throw new ConfigError('EVENTSTORE_URL', 'required when EVENT_STORE=eventstoredb');
  if (env.READ_STORE === 'mongodb' && !env.MONGODB_URL) throw new ConfigError('MONGODB_URL', 'required when READ_STORE=mongodb');
  if (!embedded && !env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
    throw new ConfigError('AUTH_JWT_SECRET', 'set it (or AUTH_JWKS_URL) when not running on the embedded stores');
  }
  if (env.AUTH_JWKS_URL && !env.AUTH_ISSUER) throw new ConfigError('AUTH_ISSUER', 'required with AUTH_JWKS_URL');
  if (env.AUTH_JWKS_URL && !env.AUTH_AUDIENCE) throw new ConfigError('AUTH_AUDIENCE', 'required with AUTH_JWKS_URL');
  if (env.AUTH_OIDC_CLIENT_SECRET && !env.AUTH_OIDC_CLIENT_ID) throw new ConfigError('AUTH_OIDC_CLIENT_ID', 'required with AUTH_OIDC_CLIENT_SECRET');
  if (env.AUTH_OIDC_SCOPES && !env.AUTH_OIDC_CLIENT_ID) throw new ConfigError('AUTH_OIDC_CLIENT_ID', 'required with AUTH_OIDC_SCOPES');
  if (env.AUTH_OIDC_CLIENT_ID && !env.AUTH_ISSUER) throw new ConfigError('AUTH_ISSUER', 'required with AUTH_OIDC_CLIENT_ID: sign-in discovers the provider from its issuer');
  if (env.AUTH_OIDC_CLIENT_ID && !isSafeProviderUrl(env.AUTH_ISSUER!)) {
    throw new ConfigError('AUTH_ISSUER', 'must be the provider\'s https:// URL (http:// only on localhost) for sign-in with AUTH_OIDC_CLIENT_ID');
  }
  if (!embedded && !env.MASTER_KEY) throw new ConfigError('MASTER_KEY', 'required when not running on the embedded stores');
  const jwtSecret = env.AUTH_JWT_SECRET ?? (embedded && !env.AUTH_JWKS_URL ? keptSecret(dataDir, 'jwt-secret', () => randomBytes(32).toString('base64url')) : null);
  const masterKey = env.MASTER_KEY ?? keptSecret(dataDir, 'master-key', () => randomBytes(32).toString('hex'));
  const embeddedEventLog = join(dataDir, 'events.sqlite');
  const embeddedViews = join(dataDir, 'views.sqlite');
  return {
    port: env.PORT,
    host: env.HOST,
    dataDir,
    eventStore: env.EVENT_STORE === 'sqlite'
      ? { kind: 'sqlite', file: embeddedEventLog }
      : { kind: 'eventstoredb', url: env.EVENTSTORE_URL! },
    embeddedEventLog,
    eventStoreUrl: env.EVENTSTORE_URL ?? null,
    readStore: env.READ_STORE === 'sqlite'
      ? { kind: 'sqlite', file: embeddedViews }
      : { kind: 'mongodb', url: env.MONGODB_URL! },
    embeddedViews,
    mongodbUrl: env.MONGODB_URL ?? null,
    auth: { jwtSecret, jwksUrl: env.AUTH_JWKS_URL ?? null, issuer: env.AUTH_ISSUER ?? null, audience: env.AUTH_AUDIENCE ?? null },
    masterKey: Buffer.from(masterKey, 'hex'),
    analyticsMinCell: env.ANALYTICS_MIN_CELL,
    logLevel: env.LOG_LEVEL,
    slaHours: {
      emergency: env.SLA_HOURS_EMERGENCY, high: env.SLA_HOURS_HIGH, normal: env.SLA_HOURS_NORMAL, low: env.SLA_HOURS_LOW,
    },
    expiryIntervalSeconds: env.EXPIRY_INTERVAL_SECONDS,
    viewWaitMs: env.VIEW_WAIT_MS,
    rateLimitWritesPerMinute: env.RATE_LIMIT_WRITES_PER_MINUTE,
    corsOrigins: env.CORS_ORIGINS ?? [],
    publicUrl: (env.PUBLIC_URL ?? `http://${['0.0.0.0', '127.0.0.1', '::', '::1'].includes(env.HOST) ? 'localhost' : env.HOST}:${env.PORT}`).replace(/\/+$/, ''),
    sessionHours: env.SESSION_HOURS,
    oidcSignIn: env.AUTH_OIDC_CLIENT_ID
      ? { issuer: env.AUTH_ISSUER!, clientId: env.AUTH_OIDC_CLIENT_ID, clientSecret: env.AUTH_OIDC_CLIENT_SECRET ?? null, scopes: env.AUTH_OIDC_SCOPES ?? ['openid', 'profile'] }
      : null,
    webhooks: {
      retryHours: env.WEBHOOK_RETRY_HOURS,
      timeoutMs: env.WEBHOOK_TIMEOUT_SECONDS * 1000,
      allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK,
      allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
      slaWarningHours: [...new Set(env.WEBHOOK_SLA_WARNING_HOURS ?? [24, 4])].sort((a, b) => b - a),
      leaseMs: env.WEBHOOK_LEASE_SECONDS * 1000,
    },
    runProjections: env.RUN_PROJECTIONS === 'true',
    shutdownTimeoutSeconds: env.SHUTDOWN_TIMEOUT_SECONDS,
  };
}
