/**
 * Single-use sign-in codes. A code is `<userId>.<secret>`: the user id says which stream holds its hash, the
 * 256-bit secret is what proves it. Only the SHA-256 of the secret is stored; the code itself exists only in
 * the link handed to the person, after `#` so that it never reaches a server log or a Referer header.
 */
import { createHash, randomBytes } from 'node:crypto';
import { isValidId } from '../core/ids.js';

export interface NewSignInCode {
  readonly code: string;
  readonly codeHash: string;
}

const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');

export function newSignInCode(userId: string): NewSignInCode {
  const secret = randomBytes(32).toString('base64url');
  return { code: `${userId}.${secret}`, codeHash: hashOf(secret) };
}

/** The user and the hash a code names, or null for anything that cannot be a code. */
export function readSignInCode(code: string): { readonly userId: string; readonly codeHash: string } | null {
  const match = /^([0-9A-Za-z][0-9A-Za-z_-]{0,63})\.([A-Za-z0-9_-]{43})$/.exec(code);
  if (!match || !isValidId(match[1]!)) return null;
  return { userId: match[1]!, codeHash: hashOf(match[2]!) };
}

/** The console's sign-in page with the code in its fragment. */
export function signInLink(publicUrl: string, code: string): string {
  return `${publicUrl}/sign-in#code=${code}`;
}
