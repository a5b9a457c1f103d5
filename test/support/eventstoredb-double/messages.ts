/** Conversions between the double's values and the protobuf messages shared by its Read and Append calls. */
import * as shared from '@eventstore/db-client/generated/shared_pb.js';

export function streamNameOf(identifier: shared.StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? []).toString('utf8');
}

export function streamIdentifier(name: string): shared.StreamIdentifier {
  return new shared.StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

/** A UUID message's lower-case string form, whether the client sent it structured or as a string. */
export function uuidString(uuid: shared.UUID): string {
  if (!uuid.hasStructured()) return uuid.getString().toLowerCase();
  const structured = uuid.getStructured()!;
  const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
    .map((bits) => BigInt.asUintN(64, BigInt(bits)).toString(16).padStart(16, '0'))
    .join('');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
}

/** A UUID message in the form the reader asked for: structured (two signed 64-bit halves) or string. */
export function uuidMessage(id: string, structured: boolean): shared.UUID {
  if (!structured) return new shared.UUID().setString(id);
  const hex = id.replaceAll('-', '');
  const half = (digits: string) => BigInt.asIntN(64, BigInt(`0x${digits}`)).toString();
  return new shared.UUID().setStructured(
    new shared.UUID.Structured()
      .setMostSignificantBits(half(hex.slice(0, 16)))
      .setLeastSignificantBits(half(hex.slice(16))),
  );
}

export function empty(): shared.Empty {
  return new shared.Empty();
}
