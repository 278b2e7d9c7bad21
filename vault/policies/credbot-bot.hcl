# credbot-bot: the bot's own least-privilege policy, attached to the AppRole role "credbot".
#
# Every stanza names the vault/ function that needs it. Nothing here reaches sys/policy,
# sys/mounts, sys/auth writes, token creation or any secret outside credbot's own mounts.
# `credbot vault init` renders ${token_policy_choices} with one entry per configured role, so
# the bot can hand a contractor "credbot-pending" or a role policy, and nothing else.

# --- userpass users (vault.userpass) -------------------------------------------------------
path "auth/credbot/users" {
  capabilities = ["list"]
}

path "auth/credbot/users/*" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "password"                = []
    "token_policies"          = [${token_policy_choices}]
    "token_no_default_policy" = [true]
    "token_ttl"               = []
    "token_max_ttl"           = []
    "token_bound_cidrs"       = []
  }
}

# The credbot mount's accessor, to find a contractor's identity entity (vault.mounts).
path "sys/auth/credbot" {
  capabilities = ["read", "sudo"]
}

# --- TOTP keys (vault.totp): import, check codes, delete. No "read" on code/*: the bot must
# never be able to generate a contractor's code.
path "credbot-totp/keys/*" {
  capabilities = ["create", "update", "read", "delete"]
}

path "credbot-totp/code/*" {
  capabilities = ["update"]
}

# --- Wrapping at the source (vault.kv, vault.wrapping) ------------------------------------
path "credbot-pending/data/*" {
  capabilities = ["create", "update", "read"]
}

path "credbot-pending/metadata/*" {
  capabilities = ["delete"]
}

path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# --- Revocation (vault.leases, vault.identity, vault.tokens) ------------------------------
path "sys/leases/revoke-prefix/auth/credbot/login/*" {
  capabilities = ["update", "sudo"]
}

path "sys/leases/lookup/auth/credbot/login/*" {
  capabilities = ["list", "sudo"]
}

path "identity/lookup/entity" {
  capabilities = ["update"]
  allowed_parameters = {
    "alias_name"           = []
    "alias_mount_accessor" = []
  }
}

path "identity/entity/id/*" {
  capabilities = ["update"]
  allowed_parameters = {
    "disabled" = [true]
  }
}

# Revoking an unused wrapping token by accessor.
path "auth/token/revoke-accessor" {
  capabilities = ["update"]
}

# --- Audit anchor (vault.anchors): sign and verify the audit chain's head with a key the bot
# can use but never read, export, back up or reconfigure; keep the newest signed anchor (the
# mount requires check-and-set). No "delete": the bot cannot remove an anchor, only move it on.
path "credbot-transit/sign/credbot-audit" {
  capabilities = ["update"]
}

path "credbot-transit/verify/credbot-audit" {
  capabilities = ["update"]
}

path "credbot-audit/data/anchor" {
  capabilities = ["create", "update", "read"]
}

# --- The bot's own token (AppRole tokens carry no default policy) --------------------------
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
