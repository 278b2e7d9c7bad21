"""What the enrollment page says to a contractor. Domain errors are worded in
``bot.core.messages``."""

from __future__ import annotations

# -- The enrollment page (bot.web.enrollment) ---------------------------------------------------
# Titles and texts of what a contractor sees. They name what happened and the next step; none
# says whether a link exists beyond "not valid", and none carries a secret.

ENROLL_LINK_INCOMPLETE = (
    "This page needs the whole link from your Slack message, including the part after the #. "
    "Open the link from Slack again."
)
ENROLL_REVEALED_ALREADY = (
    "You already revealed your credentials with this link. If you saved your password and "
    "added the account to your authenticator app, log in once below to finish. If you did not "
    "save your password, ask your manager to reissue your link."
)
ENROLL_DONE_TITLE = "You're done"
ENROLL_DONE = (
    "Your first login worked and your account is active. Every login to the review tool asks "
    "for your username, your password and a code from your authenticator app. Your manager "
    "has been told. You can close this page."
)
ENROLL_COPIED = "Copied."
ENROLL_COPY_FAILED = "Could not copy: the text is selected, copy it with your keyboard."
ENROLL_NETWORK = "credbot did not answer. Check your connection and try again."
ENROLL_BAD_FORM = "The form could not be read. Open the link from your Slack message again."
ENROLL_TOO_LARGE = "That request is too large for this page."
ENROLL_TOO_SLOW = "Your request arrived too slowly. Check your connection and try again."
ENROLL_UNSUPPORTED = "Send the form as JSON or as an HTML form."
ENROLL_CHANGED = (
    "Your enrolment changed while this page was open. Open the newest link from Slack again."
)
ENROLL_VAULT_DOWN = (
    "credbot cannot reach its credential store right now. Nothing was used up: try again in a "
    "few minutes (with a fresh code from your app if it asked for one)."
)
ENROLL_INTERNAL = (
    "credbot could not finish this because of a problem on its side. Nothing was shown to "
    "anyone else. Try again later, or ask your manager."
)

ENROLL_TITLES = {
    "link_not_found": "This link is not valid",
    "link_incomplete": "This link is incomplete",
    "link_used": "This link was already used",
    "link_expired": "This link has expired",
    "link_invalidated": "This link was replaced",
    "link_locked": "This enrolment is locked",
    "not_revealed": "Reveal your credentials first",
    "confirmation_rejected": "Wrong confirmation code",
    "totp_rejected": "Code not accepted",
    "password_rejected": "Wrong password",
    "proof_not_bound": "Finish where you started",
    "possible_interception": "These credentials could not be opened",
    "bad_request": "Something is missing",
    "too_large": "Request too large",
    "too_slow": "Request too slow",
    "unsupported": "Unsupported request",
    "changed": "Your enrolment changed",
    "unavailable": "Try again in a few minutes",
    "internal": "Something went wrong",
}
"""Page titles by the kind of problem (the ``error`` field of the JSON answers)."""
