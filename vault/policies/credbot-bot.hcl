# credbot-bot: the bot's own least-privilege policy, attached to the AppRole role "credbot".
#
# Every stanza names the vault/ function that needs it. Nothing here reaches sys/policy,
# sys/mounts, sys/auth writes, token creation or any secret outside credbot's own mounts.
# `credbot vault init` fills in this file's placeholders: the policies the bot may grant (one
# entry per configured role, so it can hand a contractor "credbot-pending" or a role policy and
# nothing else); credbot's own TOTP method and auth/credbot accessor (so the bot cannot touch
# another method's secrets or another mount's aliases); and the contractors' token rules.

# --- userpass users (vault.userpass): only credbot's own names (ctr-...), only the settings
# credbot writes, with the token TTLs and CIDR bindings fixed by `credbot vault init` from
# CREDBOT_TOKEN_TTL, CREDBOT_TOKEN_MAX_TTL and CREDBOT_BOUND_CIDRS. (A parameter left out takes
# the mount's default; vault init tunes auth/credbot so its TTLs cap every token there too.)
path "auth/credbot/users" {
  capabilities = ["list"]
}

path "auth/credbot/users/ctr-*" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "password"                = []
    "token_policies"          = [${token_policy_choices}]
    "token_no_default_policy" = [true]
    "token_ttl"               = [${token_ttl}]
    "token_max_ttl"           = [${token_max_ttl}]
    "token_bound_cidrs"       = [${token_bound_cidrs}]
  }
}

# The credbot mount's accessor, for entity aliases (vault.mounts).
path "sys/auth/credbot" {
  capabilities = ["read", "sudo"]
}

# --- Identity entities (vault.identity): only those named credbot-<username>, only their
# metadata and "disabled"; never their policies.
path "identity/entity/name/credbot-*" {
  capabilities = ["create", "read", "update", "delete"]
  allowed_parameters = {
    "metadata" = []
    "disabled" = [true]
  }
}

# An alias binds a credbot user (ctr-...) on credbot's own mount to its entity.
path "identity/entity-alias" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "name"           = ["ctr-*"]
    "canonical_id"   = []
    "mount_accessor" = [${userpass_accessor}]
  }
}

# --- Login MFA (vault.login_mfa): the secret is born in Vault and only ever handed out
# response-wrapped (min_wrapping_ttl: an unwrapped answer is refused), so the bot never sees a
# seed; and only for credbot's own method.
path "identity/mfa/login-enforcement/credbot" {
  capabilities = ["read"]
}

path "identity/mfa/method/totp/admin-generate" {
  capabilities     = ["update"]
  min_wrapping_ttl = "60s"
  max_wrapping_ttl = "720h"
  allowed_parameters = {
    "method_id" = [${mfa_method_id}]
    "entity_id" = []
  }
}

path "identity/mfa/method/totp/admin-destroy" {
  capabilities = ["update"]
  allowed_parameters = {
    "method_id" = [${mfa_method_id}]
    "entity_id" = []
  }
}

# Keys left in the old TOTP engine by accounts issued before login MFA: revocation deletes
# them and reads back that they are gone (vault.legacy_totp). Nothing can create one.
path "credbot-totp/keys/*" {
  capabilities = ["read", "delete"]
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

# --- Revocation (vault.leases) -------------------------------------------------------------
# No auth/token/revoke-accessor: it would let the bot revoke any token whose accessor it learns.
# An unused wrapping token is left to expire with its link; after revocation it holds only the
# password of a deleted user and the seed of a deleted entity.
path "sys/leases/revoke-prefix/auth/credbot/login/*" {
  capabilities = ["update", "sudo"]
}

path "sys/leases/lookup/auth/credbot/login/*" {
  capabilities = ["list", "sudo"]
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
# lookup-self also gives the metric credbot_vault_token_ttl_seconds (vault.credentials).
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

# --- The bot's own secret ID: when it expires, for credbot_vault_secret_id_expires_seconds
# (vault.credentials). The lookup takes the secret ID itself in its body, so it only tells the
# caller about a secret ID it already holds (one that logs in as the bot anyway): it cannot
# list, look up by accessor, create or destroy secret IDs. Policy syntax cannot pin the value
# to the bot's own (it changes at every rotation), and need not: nothing else is reachable.
path "auth/approle/role/credbot/secret-id/lookup" {
  capabilities = ["update"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}
