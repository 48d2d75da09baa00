"""The ``meetdesk`` command: the admin app (no subcommand, or ``app``), ``open`` (a room link), ``server``,
``rotate-signing-key``, ``join``, ``kiosk``."""

from __future__ import annotations

import argparse
import logging
import os
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
    _kiosk_options(commands.add_parser("kiosk", help="kiosk mode: a meeting-room PC that joins by itself"))
    return parser


def _kiosk_options(kiosk: argparse.ArgumentParser) -> None:
    kiosk.add_argument("--config", type=Path, help="the kiosk's configuration file (TOML or JSON)")
    kiosk.add_argument("--room-link", help="room link (instead of a configuration file)")
    kiosk.add_argument("--name", help="display name in the meeting (with --room-link)")
    kiosk.add_argument("--server", help="the server of the kiosk's fleet (with --enrol, or once enrolled)")
    kiosk.add_argument("--enrol", metavar="CODE", help="the one-time enrolment code from the admin app's Kiosks page")
    kiosk.add_argument("--pin", help="admin PIN to leave kiosk mode, 4 to 16 digits (with --room-link)")
    kiosk.add_argument("--camera", help="camera by name (with --room-link)")
    kiosk.add_argument("--microphone", help="microphone by name (with --room-link)")
    kiosk.add_argument("--speaker", help="speaker by name (with --room-link)")
    kiosk.add_argument("--volume", type=int, metavar="PERCENT", help="0 to 100 (with --room-link; default 100)")
    kiosk.add_argument("--join-policy", choices=["always", "one-touch"], help="with --room-link (default always)")
    kiosk.add_argument("--leave-when-alone", type=float, metavar="MINUTES", help="0: never (default 10)")
    kiosk.add_argument("--maintenance-hour", type=int, metavar="HOUR", help="restart at this hour when idle")
    kiosk.add_argument(
        "--synthetic-devices", action="store_true", help="a test pattern and a tone instead of the devices"
    )
    kiosk.add_argument("--source-id", type=int, default=0, help="number drawn into the test pattern (0-255)")
    kiosk.add_argument("--state-dir", type=Path, help="heartbeat, logs and crash files (default: the user state dir)")
    kiosk.add_argument("--watchdog", action="store_true", help="run under a watchdog that restarts a crashed kiosk")
    kiosk.add_argument(
        "--hash-pin", action="store_true", help="read a PIN from the terminal and print its hash for the config file"
    )


def _kiosk(args: argparse.Namespace, argv: list[str]) -> int:
    from meetdesk.kiosk.config import ConfigProblem, KioskConfig, config_from_options, load_config
    from meetdesk.ui.kiosk.run import default_state_dir, run_kiosk

    if args.hash_pin:
        return _hash_pin()
    state_dir = args.state_dir or default_state_dir()
    if args.watchdog:
        from meetdesk.kiosk.logs import setup_logging
        from meetdesk.kiosk.watchdog import Watchdog, kiosk_command

        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        setup_logging(state_dir / "logs", "watchdog", args.log_level)
        return Watchdog(kiosk_command(argv), state_dir).run()
    config: KioskConfig | None = None
    problem: ConfigProblem | None = None
    try:
        if args.config is not None:
            config = load_config(args.config)
        elif (args.room_link and args.name) or args.server:
            config = config_from_options(
                args.room_link,
                args.name,
                server=args.server,
                enrolment_code=args.enrol,
                pin=args.pin,
                synthetic=args.synthetic_devices,
                camera=args.camera,
                microphone=args.microphone,
                speaker=args.speaker,
                volume=args.volume,
                join_policy=args.join_policy,
                leave_when_alone_minutes=args.leave_when_alone,
                maintenance_hour=args.maintenance_hour,
            )
        else:
            print(
                "meetdesk kiosk: give --config FILE, --room-link URL and --name NAME, or --server URL --enrol CODE",
                file=sys.stderr,
            )
            return 2
    except ConfigProblem as exc:
        problem = exc
    return run_kiosk(
        config,
        state_dir,
        problem=problem,
        config_path=args.config,
        source_id=args.source_id,
        log_level=args.log_level,
    )


def _hash_pin() -> int:
    import getpass

    from meetdesk.kiosk.pin import hash_pin

    pin = getpass.getpass("PIN: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(f"meetdesk kiosk: {exc}", file=sys.stderr)
        return 2
    return 0


def _app_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke-test", action="store_true", help="start, show the Rooms page, print a report, exit")
    parser.add_argument("--server-url", help="open this server instead of the last one used")
    parser.add_argument(
        "--profile-dir", type=Path, help="keep settings and the embedded server's data here (MEETDESK_APP_DIR)"
    )


#: comma-separated logger names logged at DEBUG whatever --log-level says, e.g. meetdesk.server.meeting.downlink
DEBUG_LOGGERS_ENV = "MEETDESK_DEBUG_LOGGERS"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.command == "kiosk":
        return _kiosk(args, argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in filter(None, os.environ.get(DEBUG_LOGGERS_ENV, "").split(",")):
        logging.getLogger(name.strip()).setLevel(logging.DEBUG)  # one module's detail without everyone's
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
