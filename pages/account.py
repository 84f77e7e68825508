"""Who may change the data. On this machine alone (the dashboard listens on 127.0.0.1, as `mapdata serve` does
by default) its one user may, as "local". Shared on a network (`--address`), the dashboard is read-only until an
editor signs in: through the team's identity provider when `.streamlit/secrets.toml` configures one
(`st.login`), else with an account made by `mapdata users add`.
"""

from __future__ import annotations

import streamlit as st

from mapdata import accounts

THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "::1"})


def on_this_machine() -> bool:
    """Whether the dashboard listens on this machine only."""
    return (st.get_option("server.address") or "").strip() in THIS_MACHINE


def _identity_provider() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own error type for that
        return False


def editor() -> str | None:
    """The account this session's writes are recorded as, or None when it may only read."""
    if on_this_machine():
        return "local"
    if _identity_provider():
        return (st.user.get("email") or st.user.get("name")) if st.user.is_logged_in else None
    return st.session_state.get("account")


def _sign_out() -> None:
    st.session_state.pop("account", None)


def sidebar(engine) -> None:
    """Under the filters, on a network: who is signed in and a way out, or a way in."""
    if on_this_machine():
        return
    bar = st.sidebar
    who = editor()
    if who:
        bar.caption(f"Signed in as **{who}**")
        bar.button("Sign out", key="sign_out", on_click=st.logout if _identity_provider() else _sign_out)
        return
    if _identity_provider():
        bar.button("Sign in to edit", key="sign_in", on_click=st.login)
        return
    with bar.form("sign_in_form", clear_on_submit=True):
        st.caption("Read-only. Editors sign in to add news and correct tags.")
        name = st.text_input("Account", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in"):
            try:
                st.session_state["account"] = accounts.sign_in(engine, name, password)
            except accounts.AccountError as err:
                st.error(str(err))
            else:
                st.rerun()
