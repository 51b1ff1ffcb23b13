import type { HealthStatus } from './market';

/** Version reported when no release version was given (local runs, tests). */
export const DEV_VERSION = 'dev';

/** The health answer of an app that runs `version` (RELEASE_VERSION of its container). */
export function healthStatus(version: string | undefined): HealthStatus {
  const trimmed = version?.trim();
  return { status: 'ok', version: trimmed ? trimmed : DEV_VERSION };
}
