# credbot-role-reviewer: what an active contractor with role "reviewer" may do.
#
# This is the documented example of a role policy: adapt the paths to what the review tool
# reads. Ship one file per role as vault/policies/credbot-role-<role>.hcl and pass the role to
# `credbot vault init`; the bot may then grant exactly these role policies and no other.

# The recordings to review, read-only (a KV v2 engine mounted at "review/").
path "review/data/*" {
  capabilities = ["read"]
}

path "review/metadata/*" {
  capabilities = ["list", "read"]
}

# The review tool checks its own token and keeps it alive within token_max_ttl.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}

# The review tool logs out when it is done.
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
