import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Public } from '../auth/auth.guard.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';
import { ApiPublicRead } from '../http/api-docs.js';

const liveResponse = z.object({ status: z.literal('ok') });
const readyResponse = z.object({ status: z.literal('ok'), eventStore: z.literal('ok') });

@ApiTags('health')
@Controller('health')
@Public()
export class HealthHttpController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get('live')
  @ApiPublicRead(liveResponse)
  live() {
    return { status: 'ok' };
  }

  /** Ready when the event store answers a read. */
  @Get('ready')
  @ApiPublicRead(readyResponse, 503)
  async ready() {
    for await (const _event of this.store.readStream('$health', { maxCount: 1 })) break;
    return { status: 'ok', eventStore: 'ok' };
  }
}
