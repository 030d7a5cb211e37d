// getsockopt(SO_ORIGINAL_DST) for Node: Node exposes no getsockopt, and the transparent proxy
// needs, for each REDIRECTed connection, the address the client was really connecting to.
// Plain C on Node-API: no C++ runtime, ABI-stable across Node versions.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <netinet/in.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>

static napi_value throw_errno(napi_env env, int error) {
  napi_value code, message, exception;
  napi_create_string_utf8(env, error == ENOENT ? "ENOENT" : error == EBADF ? "EBADF"
                              : error == ENOPROTOOPT ? "ENOPROTOOPT" : error == EINVAL ? "EINVAL"
                              : "EOTHER", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(error), NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &exception);
  napi_set_named_property(env, exception, "code", code);
  napi_throw(env, exception);
  return NULL;
}

// originalDst(fd: number, ipv6: boolean): { address: string, port: number }
// ipv6 is false for IPv4 clients, also when they arrive on a dual-stack socket as ::ffff:a.b.c.d
// (their conntrack entry is IPv4, so only SOL_IP answers).
static napi_value OriginalDst(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  bool ipv6 = false;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, "EINVAL", "originalDst(fd, ipv6): fd must be a socket descriptor");
    return NULL;
  }
  if (argc > 1) napi_get_value_bool(env, argv[1], &ipv6);

  struct sockaddr_storage destination;
  socklen_t length = sizeof(destination);
  memset(&destination, 0, sizeof(destination));
  int rc = ipv6 ? getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, &destination, &length)
                : getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &destination, &length);
  if (rc != 0) return throw_errno(env, errno);

  char text[INET6_ADDRSTRLEN];
  int port;
  if (destination.ss_family == AF_INET) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)&destination;
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    port = ntohs(v4->sin_port);
  } else if (destination.ss_family == AF_INET6) {
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&destination;
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    port = ntohs(v6->sin6_port);
  } else {
    return throw_errno(env, EINVAL);
  }

  napi_value result, address, portValue;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &address);
  napi_create_int32(env, port, &portValue);
  napi_set_named_property(env, result, "address", address);
  napi_set_named_property(env, result, "port", portValue);
  return result;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "originalDst", NAPI_AUTO_LENGTH, OriginalDst, NULL, &fn);
  napi_set_named_property(env, exports, "originalDst", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
