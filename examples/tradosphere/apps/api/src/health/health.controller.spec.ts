import { HealthController } from './health.controller';

describe('HealthController', () => {
  const saved = process.env.RELEASE_VERSION;

  afterEach(() => {
    if (saved === undefined) {
      delete process.env.RELEASE_VERSION;
    } else {
      process.env.RELEASE_VERSION = saved;
    }
  });

  it('answers ok with the release version of the container', () => {
    process.env.RELEASE_VERSION = 'v2';
    expect(new HealthController().check()).toEqual({ status: 'ok', version: 'v2' });
  });

  it('answers dev when no release version is set', () => {
    delete process.env.RELEASE_VERSION;
    expect(new HealthController().check()).toEqual({ status: 'ok', version: 'dev' });
  });
});
