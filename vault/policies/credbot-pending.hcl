# credbot-pending: attached to a contractor between issue and activation.
#
# It grants nothing, on purpose: a contractor who has unwrapped their credentials but not yet
# proved their TOTP code can log in, and the token can do nothing at all (not even look itself
# up, because users are created with token_no_default_policy). Vault needs a non-empty policy
# body, so this file is comments only.
