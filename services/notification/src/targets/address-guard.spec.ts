import { isInternalAddress, isLocalHostname } from './address-guard';

describe('isInternalAddress', () => {
  it.each(['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '[::1]'])(
    '%s is internal',
    (address) => expect(isInternalAddress(address)).toBe(true),
  );

  it.each(['8.8.8.8', '172.32.0.1', '93.184.216.34', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('%s is public', (address) => expect(isInternalAddress(address)).toBe(false));

  it('treats localhost names as local whatever DNS says', () => {
    expect(isLocalHostname('localhost')).toBe(true);
    expect(isLocalHostname('api.localhost.')).toBe(true);
    expect(isLocalHostname('localhost.example.com')).toBe(false);
  });
});
