import { EnvValidationError, validateEnv } from './env';

const valid = {
  DATABASE_URL: 'postgres://app:secret@localhost:5432/tradosphere',
  REDIS_URL: 'redis://localhost:6379',
};

describe('validateEnv', () => {
  it('returns the config with the default port', () => {
    expect(validateEnv({ ...valid })).toEqual({
      port: 4000,
      host: undefined,
      databaseUrl: valid.DATABASE_URL,
      redisUrl: valid.REDIS_URL,
    });
  });

  it('reads PORT and HOST', () => {
    const config = validateEnv({ ...valid, PORT: '8080', HOST: '127.0.0.1' });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('127.0.0.1');
  });

  it('reports every missing variable at once', () => {
    let error: unknown;
    try {
      validateEnv({});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvValidationError);
    const problems = (error as EnvValidationError).problems;
    expect(problems).toHaveLength(2);
    expect((error as Error).message).toContain('DATABASE_URL is required');
    expect((error as Error).message).toContain('REDIS_URL is required');
  });

  it('rejects a bad port and wrong URL schemes', () => {
    expect(() =>
      validateEnv({ DATABASE_URL: 'mysql://x/y', REDIS_URL: 'http://r', PORT: 'abc' }),
    ).toThrow(/PORT must be an integer[\s\S]*DATABASE_URL must use[\s\S]*REDIS_URL must use/);
  });

  it('rejects a value that is not a URL', () => {
    expect(() => validateEnv({ ...valid, REDIS_URL: 'not a url' })).toThrow(
      'REDIS_URL is not a valid URL',
    );
  });
});
