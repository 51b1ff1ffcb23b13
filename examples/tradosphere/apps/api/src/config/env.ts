/** Runtime configuration of the API, read from the environment. */
export interface ApiConfig {
  port: number;
  /** Interface to bind; undefined means all interfaces. */
  host?: string;
  databaseUrl: string;
  redisUrl: string;
}

export class EnvValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid API environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'EnvValidationError';
  }
}

const DEFAULT_PORT = 4000;

function checkUrl(
  name: string,
  value: string | undefined,
  protocols: string[],
  problems: string[],
): string {
  if (!value || value.trim() === '') {
    problems.push(`${name} is required (e.g. ${protocols[0]}//host:port/...)`);
    return '';
  }
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    problems.push(`${name} is not a valid URL`);
    return '';
  }
  if (!protocols.includes(parsed.protocol)) {
    problems.push(`${name} must use one of ${protocols.join(', ')} (got ${parsed.protocol})`);
  }
  return value;
}

/**
 * Validates the environment and returns a typed config. All problems are
 * collected so that one start attempt reports every missing variable.
 */
export function validateEnv(env: NodeJS.ProcessEnv): ApiConfig {
  const problems: string[] = [];

  let port = DEFAULT_PORT;
  if (env.PORT !== undefined && env.PORT !== '') {
    port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      problems.push(`PORT must be an integer between 1 and 65535 (got "${env.PORT}")`);
    }
  }

  const databaseUrl = checkUrl(
    'DATABASE_URL',
    env.DATABASE_URL,
    ['postgres:', 'postgresql:'],
    problems,
  );
  const redisUrl = checkUrl('REDIS_URL', env.REDIS_URL, ['redis:', 'rediss:'], problems);

  if (problems.length > 0) {
    throw new EnvValidationError(problems);
  }
  const host = env.HOST && env.HOST.trim() !== '' ? env.HOST.trim() : undefined;
  return { port, host, databaseUrl, redisUrl };
}
