import { renderProfile } from './openvpn-profile';

const values = {
  username: 'alice',
  remote: 'relay.example',
  port: 1194,
  proto: 'udp' as const,
  ca: 'PEM\nLINES\n',
};

describe('renderProfile', () => {
  it('fills every placeholder', () => {
    expect(
      renderProfile('remote {{remote}} {{port}}\nproto {{proto}}\n<ca>\n{{ca}}\n</ca>', values),
    ).toBe('remote relay.example 1194\nproto udp\n<ca>\nPEM\nLINES\n</ca>');
  });

  it('refuses a placeholder it does not know', () => {
    expect(() => renderProfile('{{password}}', values)).toThrow(
      /placeholder \{\{password\}\} has no value/,
    );
  });

  it('refuses a value that would inject a directive', () => {
    expect(() =>
      renderProfile('remote {{remote}}', { ...values, remote: 'x\nup /bin/sh' }),
    ).toThrow(/one line/);
  });
});
