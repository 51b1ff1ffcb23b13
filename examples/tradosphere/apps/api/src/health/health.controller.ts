import { Controller, Get } from '@nestjs/common';
import { healthStatus, type HealthStatus } from '@tradosphere/shared';

@Controller('health')
export class HealthController {
  @Get()
  check(): HealthStatus {
    return healthStatus(process.env.RELEASE_VERSION);
  }
}
