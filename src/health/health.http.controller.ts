import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.guard.js';
import { EVENT_STORE, type EventStore } from '../event-store/event-store.port.js';

@ApiTags('health')
@Controller('health')
@Public()
export class HealthHttpController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** Ready when the event store answers a read. */
  @Get('ready')
  async ready() {
    for await (const _event of this.store.readStream('$health', { maxCount: 1 })) break;
    return { status: 'ok', eventStore: 'ok' };
  }
}
