import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { canonicalJson } from './canonical-json.js';
import { derivedId } from './ids.js';

/** What a function gives, or the message it throws: two functions agree when these are equal. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    return { threw: (error as Error).message };
  }
}

// Any value an event, a request or metadata may hold, and some no JSON has: undefined, dates, symbols,
// functions, sparse arrays, lone surrogates, NaN and infinities.
const { value: anyValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }), fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined),
    fc.constant(Symbol('s')), fc.constant(() => 1), fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 5 }), fc.sparseArray(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 6 }),
  ),
}));

describe('canonicalJson', () => {
  it('writes what the canonicalize package writes (which hashed every stored event), and refuses what it refuses', () => {
    fc.assert(fc.property(anyValue, (value) => {
      expect(outcome(() => canonicalJson(value))).toEqual(outcome(() => canonicalize(value)));
    }), { numRuns: 3_000 });
  });

  it('gives a stored event the hash input it was sealed with', () => {
    const event = {
      type: 'CaseNoteAdded',
      data: { noteId: 'n-1', at: '2026-12-03T10:00:00.000Z', personal: { text: 'Kunjungan rumah ✓', 'é': 1e21, z: [1, -0, 0.1] } },
      metadata: { eventId: 'e-1', schemaVersion: 2, actor: { role: 'caseworker', userId: 'u' }, skipped: undefined },
    };
    expect(canonicalJson(event)).toBe(canonicalize(event));
    expect(canonicalJson(event)).toBe('{"data":{"at":"2026-12-03T10:00:00.000Z","noteId":"n-1","personal":{"text":"Kunjungan rumah ✓","z":[1,0,0.1],"é":1e+21}},'
      + '"metadata":{"actor":{"role":"caseworker","userId":"u"},"eventId":"e-1","schemaVersion":2},"type":"CaseNoteAdded"}');
  });

  it('refuses a cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic['self'] = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow('Circular reference detected');
  });
});

describe('derivedId', () => {
  it('is the RFC 9562 name-based (v5) UUID of its parts in the Rujukan namespace, as the uuid package derives it', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 4 }), (parts) => {
      expect(derivedId(...parts)).toBe(uuidv5(parts.join('\u001f'), '6f1d2c1e-6a43-4c0e-9f7b-2d0f3b8c5a11'));
    }), { numRuns: 2_000 });
  });
});
