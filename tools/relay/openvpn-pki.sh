#!/usr/bin/env bash
# The OpenVPN server's PKI, made once: a CA and a server certificate it signs, in DIR (default
# ./data/openvpn). Customers authenticate by password, so there are no client certificates: the
# CA only lets clients check the server (the profile carries ca.crt, never a key). An existing
# PKI is left as it is. EC keys (P-256): small, fast, supported by every OpenVPN 2.4+ client.
#   tools/relay/openvpn-pki.sh [DIR]
# Renewal: the server certificate lasts TUNNELGATE_PKI_SERVER_DAYS (825); delete server.crt and
# run this again to sign a new one with the same CA (profiles stay valid).
set -euo pipefail
dir=${1:-data/openvpn}
ca_days=${TUNNELGATE_PKI_CA_DAYS:-3650}
server_days=${TUNNELGATE_PKI_SERVER_DAYS:-825}
name=$(hostname -f 2>/dev/null || hostname)
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

mkdir -p "$dir"
cd "$dir"
umask 077
if [ ! -s ca.crt ] || [ ! -s ca.key ]; then
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days "$ca_days" \
    -subj "/CN=tunnelgate relay CA ($name)" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    2>/dev/null
  rm -f server.crt
fi
if [ ! -s server.crt ] || [ ! -s server.key ]; then
  openssl req "${ec[@]}" -keyout server.key -out server.csr -subj "/CN=$name" 2>/dev/null
  # Clients check `remote-cert-tls server`: the certificate must say it is a TLS server.
  printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyAgreement\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
    -days "$server_days" -extfile server.ext 2>/dev/null
  rm -f server.csr server.ext
fi
chmod 644 ca.crt server.crt
