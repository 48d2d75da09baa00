"""Screenshots of the admin app's Kiosks page — empty, a fleet with long names and every state (online, offline,
not enrolled, devices missing), the add, enrolment, settings (with an error), logs and remove dialogs, and the
server gone — light and dark, to look at, not to assert on.

    DISPLAY=:102 .venv/bin/python -m tests.ui.kiosks_screenshots [OUT_DIR, default ./screenshots]

Starts a real server process (kiosks offline after 3 s of silence) and drives kiosks over the fleet wire.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from meetdesk.client.api import MeetDeskClient
from meetdesk.client.errors import ConnectionFailed
from meetdesk.core.kiosks import KioskSettings
from meetdesk.ui.admin.kiosks_page import KiosksPage
from tests.integration.kiosk_wire import WireKiosk
from tests.ui.screenshot_kit import KEY, THEMES, run, until

#: what the board room's kiosk says it has (long names too)
DEVICE_LISTS = {
    "camera": ["Room Camera", "Integrated Webcam", "OBSBOT Tiny 2 Lite (USB 3.0, 4K, AI-powered PTZR webcam)"],
    "microphone": ["Speakerphone", "Built-in Microphone"],
    "speaker": ["Speakerphone", "HDMI 1 (LG TV SSCR2)"],
}


async def shoot(out: Path) -> None:
    from meetdesk.ui.theme.theming import apply_theme

    app = QApplication.instance()
    assert isinstance(app, QApplication)

    async def both(name: str, widget: QWidget) -> None:
        for mode, theme in THEMES.items():
            apply_theme(app, theme)
            await asyncio.sleep(0.6)
            widget.grab().save(str(out / f"{name}-{mode}.png"))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="meetdesk-shots-") as tmp:
        env = dict(
            os.environ,
            MEETDESK_INITIAL_API_KEY=KEY,
            MEETDESK_KIOSK_OFFLINE_AFTER="3",
            MEETDESK_KIOSK_SWEEP_INTERVAL="0.5",
        )
        server = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "meetdesk", "server", "--port", str(port), "--data-dir", tmp],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        page = KiosksPage()
        wires: list[WireKiosk] = []
        try:
            for _ in range(100):
                try:
                    async with MeetDeskClient(url, api_key=KEY) as probe_client:
                        await probe_client.list_rooms()
                    break
                except ConnectionFailed:
                    await asyncio.sleep(0.2)
            client = MeetDeskClient(url, api_key=KEY)
            page.resize(1180, 640)
            page.show()
            page.set_client(client)
            await until(lambda: page.model.loaded_once and page.live.live)
            await both("kiosks-empty", page)

            board = await client.create_room({"roomName": "Quarterly planning, Northern Europe partner teams"})
            lobby = await client.create_room({"roomName": "Lobby"})
            page.open_add_dialog()
            dialog = page.dialog
            await dialog.rooms_loaded
            await both("kiosks-add", dialog)
            dialog.name_edit.setText("Board room PC on the third floor, next to the big window facing the river")
            dialog.choose_room(board.roomId)
            await dialog.submit()
            await both("kiosks-enrolment", page.dialog)
            code = page.dialog.code_label.text()
            page.dialog.close()
            wire = await WireKiosk.enrol(url, code)
            wires.append(wire)
            await wire.beat("meeting", camera=False, version="1.4.2")

            for name, state, camera in (("Lobby screen", "home", True), ("Atrium", "reconnecting", True)):
                kiosk = await client.create_kiosk(name, lobby.roomId)
                assert kiosk.enrolmentCode is not None
                other = await WireKiosk.enrol(url, kiosk.enrolmentCode)
                wires.append(other)
                await other.beat(state, camera=camera)
            gone = await client.create_kiosk("Old reception PC", lobby.roomId)
            assert gone.enrolmentCode is not None
            quiet = await WireKiosk.enrol(url, gone.enrolmentCode)
            await quiet.beat("home", speaker=False)
            await quiet.close()
            await client.create_kiosk("Training room (not set up yet)", board.roomId)
            await until(lambda: page.model.rowCount() == 5)
            # heard from once, then silent: offline (not merely not yet online, as it is when just created)
            await until(
                lambda: (k := page.model.find(gone.kioskId)) is not None and k.lastSeenAt is not None and not k.online,
                30,
            )

            async def keep_beating() -> None:
                while True:
                    for w in wires:
                        await w.beat(
                            "meeting" if w is wire else "home",
                            camera=w is not wire,
                            version="1.4.2",
                            available=DEVICE_LISTS if w is wire else None,
                        )
                    await asyncio.sleep(1)

            beating = asyncio.ensure_future(keep_beating())
            page.select(
                wire_id := page.model.kiosks[
                    [k.name for k in page.model.kiosks].index(
                        "Board room PC on the third floor, next to the big window facing the river"
                    )
                ].kioskId
            )
            await both("kiosks-fleet", page)
            page.select(gone.kioskId)
            await both("kiosks-offline", page)
            page.select(wire_id)
            # a camera configured that the kiosk does not have, and the lists it reported
            await client.update_kiosk(
                wire_id,
                settings=KioskSettings(
                    camera="Huddly IQ conference camera",
                    speaker="OBSBOT Tiny 2 Lite (USB 3.0, 4K, AI-powered PTZR webcam)",
                ),
            )
            await until(
                lambda: (
                    (k := page.model.find(wire_id)) is not None
                    and bool(k.devices.camera.available)
                    and k.settings.camera is not None
                ),
                30,
            )
            settings = page.open_settings_dialog()
            assert settings is not None
            await both("kiosks-settings", settings)
            settings.device_edits["camera"].showPopup()
            await both("kiosks-settings-cameras", settings.device_edits["camera"].view().window())
            settings.device_edits["camera"].hidePopup()
            settings.display_edit.setText("B" * 70)
            await settings.submit()
            await both("kiosks-settings-error", settings)
            settings.close()
            logs = page.open_logs_dialog()
            assert logs is not None
            await wire.next_message("command", "sendLogs")
            await wire.send_logs(
                "".join(f"2026-12-06 09:{i:02}:00 INFO kiosk: heartbeat sent (state meeting)\n" for i in range(40))
            )
            await until(lambda: logs.logs is not None, 30)
            await both("kiosks-logs", logs)
            logs.close()
            box = page.confirm_remove()
            assert box is not None
            await both("kiosks-remove", box)
            box.close()
            beating.cancel()
            server.kill()
            await until(lambda: page.stale.isVisible(), 60)
            await both("kiosks-server-down", page)
            await client.aclose()
        finally:
            page.live.stop()
            page.close()
            for w in wires:
                w._reader.cancel()
            if server.returncode is None:
                server.kill()
            await server.wait()


def main() -> int:
    return run(shoot)


if __name__ == "__main__":
    sys.exit(main())
