export * from './lib/peek-result';
export * from './lib/tls-client-hello';
export * from './lib/http-host';
export * from './lib/server-first-ports';
export * from './lib/destination-policy';
export * from './lib/socks5-reply';
export * from './lib/proxy-headers';
export * from './lib/socks5-udp';
