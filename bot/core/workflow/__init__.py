"""The approval workflow, one operation per module. Each door (a Slack listener, a web view,
a CLI command) makes one of these calls and renders what it returns; the operations reach
people only through ``Core.notifier`` (``bot.core.interfaces.Notifier``).

- ``request.request_and_verify``: a manager's request, checked, shown to the approvers.
- ``verify.verify_and_ask``: run the identity checks, ask the approvers what the result needs.
- ``approve.approve_and_issue``: an approver clicks Approve: approve, issue, deliver, tell.
- ``reject.reject_request``: an approver rejects, with a reason.
- ``attestation.recheck_after_attestation``: an approver checked an ID: the checks run again.
- ``service_result.recheck_after_service_result``: a verification service reported back.
- ``recheck.recheck``: the manager asks for the checks (or the approval card) again.
"""
