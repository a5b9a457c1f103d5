/**
 * Personal data at rest (docs/architecture.md, "Personal data"), as pure functions. An event's `personal` field is sealed with
 * AES-256-GCM under its subject's own random data key, the subject and the event bound as additional data:
 * a blob neither opens under another subject's key nor passes for another event's. Data keys are wrapped
 * (AES-256-GCM, the subject bound) by a key-encryption key derived from MASTER_KEY with HKDF under an info
 * string of its own, so it is unrelated to the NIK look-up key (subject-id.ts).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { GcmParts, SealedPersonal } from './personal.js';

/** Wrong key, or a blob, its subject or its event altered: nothing is returned. */
export class PersonalDataIntegrityError extends Error {
  constructor(what: string) {
    super(`${what} failed its integrity check (wrong key, or altered)`);
    this.name = 'PersonalDataIntegrityError';
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const additionalData = (...parts: readonly string[]) => Buffer.from(parts.join('\u001f'));

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): GcmParts {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64'), ciphertext: ciphertext.toString('base64'), tag: cipher.getAuthTag().toString('base64') };
}

function decrypt(key: Buffer, parts: GcmParts, aad: Buffer, what: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(parts.iv, 'base64'), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(parts.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(parts.ciphertext, 'base64')), decipher.final()]);
  } catch {
    throw new PersonalDataIntegrityError(what);
  }
}

export const newDataKey = (): Buffer => randomBytes(32);

export function isSealedPersonal(value: unknown): value is SealedPersonal {
  if (typeof value !== 'object' || value === null) return false;
  const blob = value as Record<string, unknown>;
  return blob['v'] === 1 && ['subjectId', 'eventId', 'iv', 'ciphertext', 'tag'].every((part) => typeof blob[part] === 'string');
}

export function sealPersonal(dataKey: Buffer, subjectId: string, eventId: string, plaintext: unknown): SealedPersonal {
  const parts = encrypt(dataKey, Buffer.from(JSON.stringify(plaintext)), additionalData('rujukan/personal/v1', subjectId, eventId));
  return { v: 1, subjectId, eventId, ...parts };
}

export function openPersonal(dataKey: Buffer, sealed: SealedPersonal): unknown {
  const aad = additionalData('rujukan/personal/v1', sealed.subjectId, sealed.eventId);
  return JSON.parse(decrypt(dataKey, sealed, aad, `The personal data of event ${sealed.eventId}`).toString('utf8'));
}

export function keyEncryptionKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'rujukan/subject-data-keys/v1', 32));
}

export function wrapDataKey(kek: Buffer, subjectId: string, dataKey: Buffer): GcmParts {
  return encrypt(kek, dataKey, additionalData('rujukan/subject-key/v1', subjectId));
}

export function unwrapDataKey(kek: Buffer, subjectId: string, wrapped: GcmParts): Buffer {
  return decrypt(kek, wrapped, additionalData('rujukan/subject-key/v1', subjectId), `The data key of subject ${subjectId}`);
}
