#!/bin/sh
# One-shot for deploy/compose.yaml, before the replicas start: bring the schema up to date, set
# OpenBao up for credbot (idempotent) with the admin token openbao-unseal kept, and give the
# replicas their AppRole: the role ID and a fresh secret ID (each `up` rotates it; secret IDs
# live 30 days) in the credbot-approle volume, which they mount read-only.
set -eu
credbot db upgrade
VAULT_TOKEN=$(cat /openbao/init/root-token)
export VAULT_TOKEN
rm -f /var/lib/credbot/secret-id.new
credbot vault init --secret-id-file /var/lib/credbot/secret-id.new >/var/lib/credbot/vault-init.txt
sed -n 's/^AppRole role ID (set VAULT_ROLE_ID): //p' /var/lib/credbot/vault-init.txt \
    >/var/lib/credbot/role-id
mv -f /var/lib/credbot/secret-id.new /var/lib/credbot/secret-id
grep -E '^(updated|in place):' /var/lib/credbot/vault-init.txt | sed 's/^/vault init: /'
