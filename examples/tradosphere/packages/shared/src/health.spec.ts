import { DEV_VERSION, healthStatus } from './health';

describe('healthStatus', () => {
  it('reports the release version it is given', () => {
    expect(healthStatus('v1.4.2')).toEqual({ status: 'ok', version: 'v1.4.2' });
  });

  it('trims the version', () => {
    expect(healthStatus('  abc123 \n')).toEqual({ status: 'ok', version: 'abc123' });
  });

  it.each([undefined, '', '   '])('reports dev when the version is %p', (version) => {
    expect(healthStatus(version)).toEqual({ status: 'ok', version: DEV_VERSION });
  });
});
