"""Listing userpass users page by page (OpenBao's ``after``/``limit``), in byte order."""

from __future__ import annotations

from tests.support.openbao import OpenBaoServer, accounts_for
from vault import userpass

# Punctuation is where byte order and a locale's order part ways.
NAMES = ["ctr-a", "ctr-a-b", "ctr-a.b", "ctr-a0", "ctr-a_b", "ctr-ab", "ctr-b", "x9"]


def test_pages_cover_every_user_once_in_byte_order(throwaway_openbao: OpenBaoServer) -> None:
    accounts = accounts_for(throwaway_openbao)
    root = throwaway_openbao.root_client()
    for name in reversed(NAMES):
        userpass.create_or_update_user(root, name, password="not-a-real-password-0")
    bot = throwaway_openbao.bot_login()  # the bot's policy allows the paged LIST

    assert userpass.list_users_page(bot, after="", limit=3) == sorted(NAMES)[:3]
    assert userpass.list_users_page(bot, after="ctr-b", limit=3) == ["x9"]
    assert userpass.list_users_page(bot, after="x9", limit=3) == []
    for page_size in (1, 3, len(NAMES), 100):
        assert list(userpass.iter_users(bot, page_size=page_size)) == sorted(NAMES)
    assert list(accounts.iter_accounts()) == sorted(NAMES)


def test_no_users_no_pages(throwaway_openbao: OpenBaoServer) -> None:
    assert list(accounts_for(throwaway_openbao).iter_accounts()) == []
