/**
 * Every stored event's hash was computed from `canonicalize`'s RFC 8785 output: the canonical JSON must stay
 * byte for byte what it was, or no existing log would verify, and an Idempotency-Key retried after an upgrade
 * would read as a different request.
 */
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { canonicalJson, GENESIS_HASH, hashEvent, requestHash, sealEvents } from './event-envelope.js';

const EVENT = {
  type: 'CaseNoteAdded',
  data: {
    noteId: 'note-1', authorInstitutionId: 'rw-03', visibility: 'participants', at: '2026-12-04T23:40:00.000Z', optional: undefined,
    tags: ['b', 'a', 1.5e-7, -0, 1e21, true, null], é: 'Pak Budi ü 🙂', z: { y: 1, x: [] },
    personal: { v: 1, subjectId: 'subject-1', eventId: 'event-1', iv: 'q83vEjRWeJASNFZ4', ciphertext: 'Zm9vYmFy', tag: 'AAECAwQFBgcICQoLDA0ODw==' },
  },
  metadata: {
    eventId: 'event-1', schemaVersion: 3, occurredAt: '2026-12-04T23:40:00.000Z', actor: { userId: 'u-1', role: 'caseworker', institutionId: 'rw-03' },
    commandId: 'c-1', correlationId: 'c-1', causationId: 'c-1', requestHash: 'f'.repeat(64), hash: 'not part of the hash',
  },
};

/** The outcome of a serializer: its output, or that it refused. */
function outcome(serialize: (value: unknown) => string | undefined, value: unknown): { readonly output: string | undefined } | 'refused' {
  try {
    return { output: serialize(value) };
  } catch {
    return 'refused';
  }
}

describe('the hash chain and request fingerprints', () => {
  it('give the hashes earlier versions stored', () => {
    expect(hashEvent(GENESIS_HASH, EVENT)).toBe('70d21e0a734d6b97c502d20fb557741481e2d87cc570d6884202162ad1da9b3c');
    const escaped = { ...EVENT, data: { ...EVENT.data, text: 'line\nbreak \u0001 "quoted" back\\slash' } };
    expect(hashEvent('a'.repeat(64), escaped)).toBe('42e1773b6126e4dec1a145679f4dacae0c4e6408d94c1aa18c115e1e3a0b9acb');
    expect(requestHash({ method: 'POST', path: '/api/v1/cases/x/notes', body: { text: 'Home visit done', visibility: 'participants' }, user: 'u-1' }))
      .toBe('e8e12a3633b931580706b5a11589d0286040459f23e34dd36c808f8cb39e3dd2');
  });

  it('write exactly what canonicalize writes, and refuse what it refuses, for any JSON-like value', () => {
    // Any UTF-16 code unit in strings and keys (lone surrogates included), undefined members, odd numbers.
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
    const text = fc.string({ unit: fc.oneof(codeUnit, fc.constantFrom('a', 'é', '🙂', '"', '\\', '\u0001')), maxLength: 12 });
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constantFrom(null, true, false, undefined, -0, 1e21, 1.5e-7, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity),
        fc.double(),
        fc.integer(),
        text,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(text, tie('value'), { maxKeys: 6 }),
      ),
    }));
    fc.assert(fc.property(value, (generated) => {
      expect(outcome(canonicalJson, generated)).toEqual(outcome(canonicalize, generated));
    }), { numRuns: 2_000 });
  });

  it('seal a batch with the hashes hashEvent chains, and metadata text that reads back as the sealed metadata', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('a', 'é', '🙂', '"', '\\', '\u0001', '\n'), fc.string({ maxLength: 1 })), maxLength: 8 });
    const json = fc.jsonValue({ maxDepth: 3 });
    const unsealed = fc.record({
      type: text,
      data: fc.oneof(json, fc.dictionary(text, fc.oneof(json, fc.constant(undefined)), { maxKeys: 5 })),
      metadata: fc.dictionary(text, json, { maxKeys: 6 }),
    });
    fc.assert(fc.property(fc.array(unsealed, { minLength: 1, maxLength: 3 }), (events) => {
      const { hash: _unused, ...metadata } = EVENT.metadata;
      const all = [{ type: EVENT.type, data: EVENT.data, metadata }, ...events] as Parameters<typeof sealEvents>[1];
      // The reference: each event's hash by hashEvent (canonical JSON of the whole event), chained from the last.
      const hashes: string[] = [];
      for (const event of all) hashes.push(hashEvent(hashes.at(-1) ?? 'b'.repeat(64), event));
      const sealed = sealEvents('b'.repeat(64), all);
      expect(sealed.map((event) => event.metadata.hash)).toEqual(hashes);
      for (const [index, event] of sealed.entries()) {
        expect(event.metadata).toEqual({ ...all[index]!.metadata, hash: hashes[index] });
        if (event.json) expect(JSON.parse(event.json.metadata)).toEqual(JSON.parse(JSON.stringify(event.metadata)));
      }
      // The note event itself, an event as the command path writes, takes the fast path.
      expect(sealed[0]!.json).toBeDefined();
    }), { numRuns: 500 });
  });

  it('refuse a lone surrogate, as RFC 8785 asks, rather than escape it', () => {
    expect(() => hashEvent(GENESIS_HASH, { ...EVENT, data: { text: 'broken \ud800 text' } })).toThrow(/surrogate/i);
  });
});
