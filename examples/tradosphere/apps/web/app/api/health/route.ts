import { healthStatus, type HealthStatus } from '@tradosphere/shared';
import { NextResponse } from 'next/server';

export const dynamic = 'force-dynamic';

/** Liveness probe of the web app with the release it runs; does not depend on the API. */
export function GET() {
  return NextResponse.json<HealthStatus>(healthStatus(process.env.RELEASE_VERSION));
}
