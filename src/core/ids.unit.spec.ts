/**
 * Derived ids are stored (event ids, command ids from an Idempotency-Key): the same parts must give the same id
 * in every version of the service, or a retry after an upgrade would append its command a second time.
 */
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { derivedId } from './ids.js';

describe('derivedId', () => {
  it('gives the ids earlier versions gave', () => {
    expect(derivedId('event', 'case-0193a4c2-7e0b-7c3e-9f1a-2b5d8e6f4a01', 'cmd', '0')).toBe('f6bd5010-dda5-533d-9065-86462da92bc1');
    expect(derivedId('command', 'Pak Budi ü 🙂', 'key-1')).toBe('74f8eb8a-8bbf-5b86-a5a3-bb8cbed8e5c7');
  });

  it('is uuid v5 of the parts joined by U+001F under the Rujukan namespace, for any well-formed text', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 4 }), (parts) => {
      expect(derivedId(...parts)).toBe(uuidv5(parts.join('\u001f'), '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11'));
    }));
  });
});
