import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../auth/auth.guard.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ApiRead } from '../http/api-docs.js';
import { projectionLag } from '../projections/lag.js';
import type { ProjectionStatus } from '../projections/projection-runner.js';
import { ProjectionsService } from '../projections/projections.service.js';

const liveResponse = z.object({ status: z.literal('ok') }).meta({ id: 'Liveness' });
const readyResponse = z.object({
  status: z.literal('ok'),
  eventStore: z.literal('ok'),
  projections: z.array(z.object({
    name: z.string(),
    position: z.string().nullable(),
    caughtUp: z.boolean(),
    state: z.enum(['running', 'standby', 'retrying', 'halted', 'stopped'])
      .describe('running here; standby: another replica holds its lease and runs it; retrying: a failure (a store unreachable) is being retried'),
    error: z.string().nullable().describe('The error being retried (its name), null when none'),
    eventsBehind: z.number().int().describe('Events in the log after the checkpoint (counted up to 10,000)'),
    secondsBehind: z.number().describe('Age of the oldest event not yet applied, 0 when caught up'),
  })),
}).meta({ id: 'Readiness' });

@ApiTags('health')
@Controller('health')
@Public()
export class HealthHttpController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projections: ProjectionsService,
  ) {}

  @Get('live')
  @ApiRead(liveResponse, {
    summary: 'Check the process is alive',
    description: 'Answers as long as the process serves HTTP, whatever its stores: for a liveness probe (restart when it fails).',
  })
  live() {
    return { status: 'ok' };
  }

  /**
   * Ready when the event store answers and every projection is kept current (here, or on the replica holding
   * its lease); reports each projection's lag. A projection halted on a poison event makes it 503, naming the
   * event's position and the error.
   */
  @Get('ready')
  @ApiRead(readyResponse, {
    summary: 'Check the service is ready',
    description: 'Ready when the event store answers and every projection runs; reports each projection\'s checkpoint and lag (events and seconds behind). 503 otherwise: for a readiness probe and load balancers.',
    problems: [503],
  })
  async ready() {
    const statuses = this.projections.statuses();
    const stopped = statuses.filter((status) => !status.running);
    if (stopped.length > 0) throw new ServiceUnavailableException(stopped.map(describeStopped).join('; '));
    const projections = await Promise.all(statuses.map(async (status) => {
      const lag = await projectionLag(this.store, status.position === null ? null : BigInt(status.position), new Date());
      return { name: status.name, position: status.position, caughtUp: status.caughtUp, state: status.state, error: status.error, ...lag };
    }));
    return { status: 'ok', eventStore: 'ok', projections };
  }
}

function describeStopped(status: ProjectionStatus): string {
  if (status.halted === null) return `Projection ${status.name} is not running`;
  const { position, eventId, eventType, error } = status.halted;
  return `Projection ${status.name} halted at position ${position} (event ${eventId}, ${eventType}): ${error}; once the cause is fixed, run \`rujukan projections retry ${status.name}\``;
}
