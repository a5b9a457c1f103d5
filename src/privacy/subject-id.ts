/**
 * A subject's id. Opening a case with a NIK already known links it to the same subject: the id is derived
 * from a keyed hash of the NIK (HMAC under a key derived from MASTER_KEY), never from the NIK itself, so the
 * id reveals nothing and nobody without the key can test a NIK against it.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { derivedId } from '../core/ids.js';

export function nikLookupKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'rujukan/nik-lookup/v1', 32));
}

export function subjectIdFor(nik: string | undefined, commandId: string, lookupKey: Buffer): string {
  if (nik === undefined) return derivedId('subject', commandId);
  return derivedId('subject', createHmac('sha256', lookupKey).update(nik).digest('hex'));
}
