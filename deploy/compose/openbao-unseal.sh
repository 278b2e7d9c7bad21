#!/bin/sh
# One-shot for deploy/compose.yaml: initialise OpenBao on first start (one unseal key), then
# unseal it, at every `up`. The unseal key and the root token are kept in the openbao-init
# volume, beside the data: fine for trying credbot out, NOT for production (there, people
# hold the unseal keys, or OpenBao auto-unseals through a KMS).
set -eu
export BAO_ADDR=http://openbao:8200
keys=/openbao/init/init.txt
until bao status >/dev/null 2>&1 || [ $? -eq 2 ]; do sleep 1; done  # 2: sealed, but answering
if ! bao status -format=json | grep -q '"initialized": true'; then
    umask 077
    bao operator init -key-shares=1 -key-threshold=1 >"$keys"
    sed -n 's/^Initial Root Token: //p' "$keys" >/openbao/init/root-token
    chown 10001:0 /openbao/init/root-token # credbot-init (the image's user) reads it
    echo "OpenBao initialised; unseal key and root token kept in the openbao-init volume"
fi
if bao status -format=json | grep -q '"sealed": true'; then
    bao operator unseal "$(sed -n 's/^Unseal Key 1: //p' "$keys")" >/dev/null
fi
echo "OpenBao unsealed"
