"""The ``meetdesk`` command: the admin app (no subcommand, or ``app``), ``open`` (a room link), ``server``,
``rotate-signing-key``, ``join``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from meetdesk import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meetdesk", description="MeetDesk: rooms and meetings on your desktop.")
    parser.add_argument("--version", action="version", version=f"meetdesk {__version__}")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    app = commands.add_parser("app", help="the admin desktop app (the default when no command is given)")
    _app_options(app)
    _app_options(parser)
    server = commands.add_parser("server", help="run the bundled server (REST API)")
    server.add_argument("--host", help="address to bind (default 127.0.0.1; MEETDESK_HOST)")
    server.add_argument("--port", type=int, help="port (default 6080; MEETDESK_PORT)")
    server.add_argument("--data-dir", type=Path, help="where the database lives (MEETDESK_DATA_DIR)")
    server.add_argument("--base-url", help="public address used in room links (MEETDESK_BASE_URL)")
    server.add_argument(
        "--tls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="HTTPS/WSS (default: on unless --host is loopback; plain HTTP is refused off loopback; MEETDESK_TLS)",
    )
    server.add_argument("--tls-cert", type=Path, help="certificate (PEM) to serve instead of the server's own")
    server.add_argument("--tls-key", type=Path, help="its private key (PEM)")
    rotate = commands.add_parser(
        "rotate-signing-key", help="give the server a new token signing key: every token issued before is refused"
    )
    rotate.add_argument("--data-dir", type=Path, help="the server's data dir (MEETDESK_DATA_DIR)")
    open_ = commands.add_parser("open", help="join a room in a meeting window, from its link")
    open_.add_argument("link", help="room link: <server>/room/<roomId>?secret=...")
    open_.add_argument(
        "--synthetic-devices",
        action="store_true",
        help="a test pattern and a tone instead of the camera and microphone",
    )
    open_.add_argument("--profile-dir", type=Path, help="keep settings (name, devices) here (MEETDESK_APP_DIR)")
    join = commands.add_parser("join", help="join a meeting as a headless participant (a bot)")
    join.add_argument("link", help="room link: <server>/room/<roomId>?secret=...")
    join.add_argument("--name", required=True, help="display name")
    join.add_argument(
        "--synthetic",
        action="store_true",
        help="send a test pattern and a tone (default: the camera and microphone when present, else these)",
    )
    join.add_argument("--camera", help="camera to send, by name or index (default: the first one)")
    join.add_argument("--microphone", help="microphone to send, by name or index (default: the first one)")
    join.add_argument("--duration", type=float, default=0.0, help="seconds to stay (0: until the meeting ends)")
    join.add_argument("--json", action="store_true", help="print a JSON summary when done")
    join.add_argument("--source-id", type=int, default=0, help="number drawn into the test pattern (0-255)")
    return parser


def _app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke-test", action="store_true", help="start, show the Rooms page, print a report, exit")
    parser.add_argument("--server-url", help="open this server instead of the last one used")
    parser.add_argument(
        "--profile-dir", type=Path, help="keep settings and the embedded server's data here (MEETDESK_APP_DIR)"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    command = args.command or "app"
    if command == "app":
        from meetdesk.ui.app import AppOptions, run_app

        return run_app(AppOptions(profile_dir=args.profile_dir, smoke_test=args.smoke_test, server_url=args.server_url))
    if command == "open":
        from meetdesk.ui.app import AppOptions, run_participant

        return run_participant(args.link, AppOptions(profile_dir=args.profile_dir), synthetic=args.synthetic_devices)
    if command == "server":
        from meetdesk.server.config import ServerSettings, SettingsError
        from meetdesk.server.main import run

        settings = ServerSettings.from_env(
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            data_dir=getattr(args, "data_dir", None),
            base_url=getattr(args, "base_url", None),
            tls=getattr(args, "tls", None),
            tls_cert_file=getattr(args, "tls_cert", None),
            tls_key_file=getattr(args, "tls_key", None),
        )
        try:
            run(settings)
        except SettingsError as exc:
            print(f"meetdesk server: {exc}", file=sys.stderr)
            return 2
        return 0
    if command == "rotate-signing-key":
        from meetdesk.server.config import ServerSettings
        from meetdesk.server.keys import KeyFileError, rotate_signing_key

        key_file = ServerSettings.from_env(data_dir=args.data_dir).effective_key_file
        try:
            rotate_signing_key(key_file)
        except (KeyFileError, OSError) as exc:
            print(f"The signing key was not rotated: {exc}", file=sys.stderr)
            return 1
        print(
            f"New signing key written to {key_file}. Every token issued before now is refused, by a running server "
            "too: admins sign in again, participants rejoin through their room links."
        )
        return 0
    if command == "join":
        from meetdesk.client.bot import run_bot

        return run_bot(
            args.link,
            args.name,
            duration=args.duration,
            as_json=args.json,
            source_id=args.source_id,
            synthetic=args.synthetic,
            camera=args.camera,
            microphone=args.microphone,
        )
    return 2


if __name__ == "__main__":
    sys.exit(main())
