import { Controller, Get } from '@nestjs/common';
import type { HealthStatus } from '@tradosphere/shared';

@Controller('health')
export class HealthController {
  @Get()
  check(): HealthStatus {
    return { status: 'ok' };
  }
}
