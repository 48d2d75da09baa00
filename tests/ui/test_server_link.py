"""The header's view-model of the link to the server: it notifies only on a real change, says "back" only
after the server had stopped answering, and its periodic check moves only connected ↔ reconnecting."""

from __future__ import annotations

from meetdesk.ui.admin.server_link import LinkState, ServerLink


async def test_it_notifies_only_on_change_and_recovered_only_after_reconnecting() -> None:
    link = ServerLink()
    states: list[LinkState] = []
    texts: list[str] = []
    recovered: list[bool] = []
    link.stateChanged.connect(states.append)
    link.textChanged.connect(texts.append)
    link.recovered.connect(lambda: recovered.append(True))

    link.set_state(LinkState.CONNECTING)
    link.set_state(LinkState.CONNECTING)
    link.set_state(LinkState.CONNECTED)
    assert states == [LinkState.CONNECTING, LinkState.CONNECTED] and texts == ["Connecting…", "Connected"]
    assert recovered == []  # connecting → connected is not a recovery
    link.set_state(LinkState.RECONNECTING)
    link.set_state(LinkState.CONNECTED)
    assert recovered == [True]


async def test_the_check_moves_only_between_connected_and_reconnecting() -> None:
    link = ServerLink()
    answers = [False]

    async def probe() -> bool:
        return answers[0]

    link.watch(probe)
    try:
        await link.check()  # not connected: a failed check says nothing new
        assert link.state is LinkState.NOT_CONNECTED
        link.set_state(LinkState.CONNECTED)
        await link.check()
        assert link.state is LinkState.RECONNECTING and link.text == "Reconnecting…"
        answers[0] = True
        await link.check()
        assert link.state is LinkState.CONNECTED
        link.set_state(LinkState.RESTARTING)  # the supervisor knows more: the check leaves it alone
        answers[0] = False
        await link.check()
        assert link.state is LinkState.RESTARTING and link.text == "Restarting the server…"
    finally:
        link.stop()
