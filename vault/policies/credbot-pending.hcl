# credbot-pending: attached to a contractor between issue and activation.
#
# It grants nothing but ending its own token. A login needs the password and a TOTP code (login
# MFA on auth/credbot), and credbot's own enrolment login ends the token it gets with it at once,
# before the user is switched to a role policy. Users are created with token_no_default_policy,
# so the token cannot even look itself up.
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
