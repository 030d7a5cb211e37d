'use strict';
// Compiled by the workspace's postinstall (node-gyp, from binding.gyp) during `npm ci`.
const { originalDst } = require('./build/Release/original_dst.node');

/**
 * Where a REDIRECTed TCP connection was going before iptables sent it here.
 * `socket` is a connected net.Socket; a connection conntrack tracks without NAT gives the
 * listener's own address (the loop guard's case); throws with `code` ENOENT when conntrack does
 * not track it, EBADF when the socket is closed.
 */
function originalDestination(socket) {
  // Node exposes the descriptor only on the internal handle.
  const fd = socket._handle && socket._handle.fd;
  if (typeof fd !== 'number' || fd < 0) {
    const error = new Error('socket has no file descriptor (closed?)');
    error.code = 'EBADF';
    throw error;
  }
  const remote = socket.remoteAddress || '';
  const ipv6 = socket.remoteFamily === 'IPv6' && !remote.startsWith('::ffff:');
  const { address, port } = originalDst(fd, ipv6);
  return { address, port, family: ipv6 ? 'IPv6' : 'IPv4' };
}

module.exports = { originalDestination };
