/**
 * Test double of EventStoreDB's gRPC Streams service, for testing code that uses the official client
 * `@eventstore/db-client` over a real connection. Only tests use it.
 *
 * It serves the Streams service's `Append` and `Read` calls on an in-memory log with EventStoreDB's documented
 * semantics: non-contiguous $all positions, system events, expected revisions, idempotent appends, stream and
 * $all reads, catch-up subscriptions (confirmation, caught_up, live events), filters and checkpoints, and
 * flow control. It leaves out everything else: `BatchAppend`, `Delete` and `Tombstone` (and every other service,
 * including ServerFeatures and Gossip) answer UNIMPLEMENTED, so the client falls back to `Append`; there are no
 * stream metadata, links, deleted streams, filtered reads, `fell_behind`, TLS, authentication or persistence.
 */
import { Server, ServerCredentials, status } from '@grpc/grpc-js';
import { StreamsService, type IStreamsServer } from '@eventstore/db-client/generated/streams_grpc_pb.js';
import * as streams from '@eventstore/db-client/generated/streams_pb.js';
import {
  EventLog,
  type AppendResult,
  type ExpectedRevision,
  type ProposedEvent,
  type RecordedEvent,
} from './event-log.js';
import { empty, streamNameOf, uuidString } from './messages.js';
import { read, type ReadResponder } from './read.js';

export type { RecordedEvent } from './event-log.js';

export interface EventStoreDbDoubleOptions {
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /**
   * Scanned events between two checkpoints of a filtered subscription. By default as EventStoreDB:
   * the filter's `maxSearchWindow` (32 when the client gives none) × its `checkpointInterval`.
   */
  readonly checkpointInterval?: number;
  /** Start from this log (another double's `log`) instead of a fresh node's system events. */
  readonly log?: readonly RecordedEvent[];
}

export interface EventStoreDbDouble {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  readonly url: string;
  readonly port: number;
  /** Ends every open subscription call with gRPC UNAVAILABLE, as a server restart or network drop would. */
  dropSubscriptions(): void;
  /** Number of open subscription calls (lets tests wait for a resubscribe). */
  readonly openSubscriptions: number;
  /** How many events (including system events) the log holds. */
  readonly eventCount: number;
  /** Append calls received, whatever their outcome. */
  readonly appendsReceived: number;
  /** A copy of the log, to start another double with. */
  readonly log: readonly RecordedEvent[];
  /** Closes every connection at once. */
  stop(): Promise<void>;
}

export async function startEventStoreDbDouble(options: EventStoreDbDoubleOptions = {}): Promise<EventStoreDbDouble> {
  const log = new EventLog(options.log);
  const subscriptions = new Set<ReadResponder>();
  let appendsReceived = 0;

  const implementation: Pick<IStreamsServer, 'read' | 'append'> = {
    read: (call) => read(call, { log, subscriptions, checkpointInterval: options.checkpointInterval }),
    append: (call, respond) => {
      const requests: streams.AppendReq[] = [];
      call.on('data', (request: streams.AppendReq) => requests.push(request));
      call.on('end', () => {
        appendsReceived++;
        const append = appendRequest(requests);
        if (typeof append === 'string') return respond({ code: status.INVALID_ARGUMENT, details: append });
        const result = log.append(append.streamName, append.expected, append.proposed);
        if (result.ok && append.proposed.length > 0) for (const subscription of subscriptions) subscription.wake();
        respond(null, appendResponse(result, append.expected));
      });
    },
  };
  const server = new Server();
  server.addService(StreamsService, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );

  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    port,
    dropSubscriptions() {
      for (const subscription of subscriptions) {
        subscription.fail(status.UNAVAILABLE, 'Subscription dropped by the EventStoreDB test double');
      }
    },
    get openSubscriptions() {
      return subscriptions.size;
    },
    get eventCount() {
      return log.events.length;
    },
    get appendsReceived() {
      return appendsReceived;
    },
    get log() {
      return [...log.events];
    },
    async stop() {
      server.forceShutdown();
    },
  };
}

interface AppendRequest {
  readonly streamName: string;
  readonly expected: ExpectedRevision;
  readonly proposed: readonly ProposedEvent[];
}

/** The stream, expectation and events of an Append call's messages, or what is wrong with them. */
function appendRequest(requests: readonly streams.AppendReq[]): AppendRequest | string {
  const [header, ...messages] = requests;
  const options = header?.getOptions();
  if (!options) return 'The first AppendReq must carry the options';
  const expected: ExpectedRevision = options.hasRevision()
    ? Number(options.getRevision())
    : options.hasNoStream()
      ? 'no_stream'
      : options.hasStreamExists()
        ? 'stream_exists'
        : 'any';
  const proposed: ProposedEvent[] = [];
  for (const message of messages) {
    const event = message.getProposedMessage();
    const id = event?.getId();
    const metadata = event?.getMetadataMap();
    const type = metadata?.get('type');
    const contentType = metadata?.get('content-type');
    if (!event || !id || type === undefined || contentType === undefined) {
      return 'Every AppendReq after the first must be a proposed message with an id, a type and a content-type';
    }
    const [data, customMetadata] = [event.getData_asU8(), event.getCustomMetadata_asU8()];
    proposed.push({ id: uuidString(id), type, contentType, data, customMetadata });
  }
  return { streamName: streamNameOf(options.getStreamIdentifier()), expected, proposed };
}

function appendResponse(result: AppendResult, expected: ExpectedRevision): streams.AppendResp {
  const response = new streams.AppendResp();
  if (result.ok) {
    const success = new streams.AppendResp.Success();
    if (result.currentRevision === undefined) success.setNoStream(empty());
    else success.setCurrentRevision(String(result.currentRevision));
    if (result.position === undefined) success.setNoPosition(empty());
    else {
      const position = String(result.position);
      success.setPosition(new streams.AppendResp.Position().setCommitPosition(position).setPreparePosition(position));
    }
    return response.setSuccess(success);
  }
  const wrong = new streams.AppendResp.WrongExpectedVersion();
  if (result.currentRevision === undefined) wrong.setCurrentNoStream(empty());
  else wrong.setCurrentRevision(String(result.currentRevision));
  if (expected === 'any') wrong.setExpectedAny(empty());
  else if (expected === 'no_stream') wrong.setExpectedNoStream(empty());
  else if (expected === 'stream_exists') wrong.setExpectedStreamExists(empty());
  else wrong.setExpectedRevision(String(expected));
  return response.setWrongExpectedVersion(wrong);
}
