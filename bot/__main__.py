"""The command line: `python -m bot` serves, `worker` works submissions; `init-db` and `keys …`
are for operators."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.config import ConfigError, Settings, drop_empty_slack_variables

logger = logging.getLogger("bot")

EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from dotenv import load_dotenv

    load_dotenv(override=False)  # the real environment wins over .env
    drop_empty_slack_variables(os.environ)  # type: ignore[arg-type]
    try:
        settings = Settings.from_env(
            os.environ, serving=args.command in (None, "serve"), socket_mode=None
        )
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_CONFIG
    from bot.log import configure_logging

    configure_logging(settings.log_level)
    if args.command in (None, "serve"):
        return _serve(settings)
    if args.command == "worker":
        return _work()
    if args.command == "init-db":
        return _init_db(settings)
    return _keys(settings, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve Slack (the default): Socket Mode or HTTP on $PORT")
    commands.add_parser(
        "worker",
        help="work the submissions that web processes record (the Procfile's worker:)",
    )
    commands.add_parser("init-db", help="create the database tables (idempotent)")
    keys = commands.add_parser("keys", help="manage workspaces' Bunce keys").add_subparsers(
        dest="keys_command", required=True
    )
    key_set = keys.add_parser("set", help="store a key read from standard input")
    key_set.add_argument("team_id")
    key_set.add_argument("--enterprise-id")
    keys.add_parser("list", help="list workspaces with a key (hints only)")
    key_delete = keys.add_parser("delete", help="delete a workspace's key")
    key_delete.add_argument("team_id")
    key_delete.add_argument("--enterprise-id")
    keys.add_parser(
        "rotate-encryption",
        help="re-encrypt every stored secret with the first key of ENCRYPTION_KEY",
    )
    return parser


def _serve(settings: Settings) -> int:
    import signal

    from bot.store.db import StoreError
    from bot.wsgi import EVENTS_PATH, build_application

    try:
        application = build_application(os.environ, socket_mode=settings.socket_mode)
    except StoreError as error:
        print(f"bunce-slack cannot start: {error}. Check DATABASE_URL.", file=sys.stderr)
        return 1
    # SIGTERM (a platform stopping the process) shuts down like Ctrl-C: in-flight submissions
    # finish or are handed back before the process exits.
    signal.signal(signal.SIGTERM, _interrupt)
    stop_receiving: Callable[[], None] | None = None  # HTTP: the server loop has ended
    try:
        if settings.socket_mode:
            from slack_sdk.errors import SlackApiError

            from bot.slack.socket_mode import GatedSocketMode

            socket_mode = GatedSocketMode(application.slack.app, settings.app_token or "")
            stop_receiving = socket_mode.stop
            logger.info("serving Slack over Socket Mode")
            try:
                socket_mode.connect()
            except SlackApiError as error:
                code = error.response.get("error", "unknown_error")
                print(
                    f"bunce-slack cannot start: Slack refused SLACK_APP_TOKEN ({code}). Check "
                    "that it is the app-level token (xapp-…) with the connections:write scope.",
                    file=sys.stderr,
                )
                return 1
            threading.Event().wait()  # until SIGTERM or Ctrl-C
        else:
            from bot.devserver import serve

            logger.info("serving HTTP on port %s at %s and /healthz", settings.port, EVENTS_PATH)
            serve(application, settings.port)
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        # Socket Mode: stop receiving first (Slack gives what we don't ack to another
        # connection), then drain; nothing can arrive after the pools have shut down.
        if stop_receiving is not None:
            stop_receiving()
        application.close()
    return 0


def _work() -> int:
    import signal

    from bot.store.db import StoreError
    from bot.work import WorkerProcess

    try:
        process = WorkerProcess(os.environ)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        return EXIT_CONFIG
    except StoreError as error:
        print(f"bunce-slack worker cannot start: {error}. Check DATABASE_URL.", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        process.run()
    except KeyboardInterrupt:
        logger.info("stopping")
    finally:
        process.stop()
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _init_db(settings: Settings) -> int:
    from bot.store.db import create_engine_for, init_db

    init_db(create_engine_for(settings.database_url))
    print("database ready")
    return 0


def _keys(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli import delete_key, list_keys, rotate_encryption, set_key

    if args.keys_command == "set":
        return set_key(settings, args.team_id, args.enterprise_id, _read_secret(sys.stdin))
    if args.keys_command == "list":
        return list_keys(settings)
    if args.keys_command == "rotate-encryption":
        return rotate_encryption(settings)
    return delete_key(settings, args.team_id, args.enterprise_id)


def _read_secret(stream: TextIO) -> str:
    """From a terminal without echo; otherwise the first line of standard input."""
    if stream.isatty():
        return getpass.getpass("Bunce secret key (sk_live_… or sk_test_…; input hidden): ")
    return stream.readline().strip()


if __name__ == "__main__":
    raise SystemExit(main())
