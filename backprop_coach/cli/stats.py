"""`backprop-coach stats`: how practice is going."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from backprop_coach.cli.output import emit_json, fail, show


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)


def stats(
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    reset: Annotated[
        bool, typer.Option(help="Delete all progress (asks for confirmation).")
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask (for --reset in scripts).")
    ] = False,
) -> None:
    """Accuracy and time per topic, practice streak, due cards, a calendar of practice days,
    the most-missed questions (leeches) and your most common mistakes.

    Examples: `backprop-coach stats`, `backprop-coach stats --json`."""
    from backprop_coach.cli.quiz import open_store, tell_notes
    from backprop_coach.practice.stats import compute
    from backprop_coach.practice.store import StoreError, now

    store = open_store()
    try:
        if reset:
            if not yes:
                if not sys.stdin.isatty():
                    fail(
                        "--reset deletes all progress; add --yes to confirm when not in a terminal"
                    )
                typer.confirm("Delete all practice history and schedules?", abort=True)
            store.reset()
            show("progress reset")
            return
        moment = now()
        result = compute(store.attempts(), store.cards(), moment)
        interviews = _interviews(store)
    except StoreError as err:
        fail(str(err))
    finally:
        store.close()
        tell_notes(store)
    if json_output:
        emit_json({**result.to_json(), "interviews": interviews})
        return
    from backprop_coach.render.stats import render_stats

    show(render_stats(result, moment.date()))
    if interviews:
        from backprop_coach.render.interview import render_past

        show(render_past(interviews))


def _interviews(store: Any) -> list[dict[str, Any]]:
    """Past mock interviews, scored from their stored attempts (practice.interview.past)."""
    from backprop_coach.bank.chains import chain_files, load_chains
    from backprop_coach.bank.load import bank_dirs
    from backprop_coach.practice.interview import MODE, past

    sessions = store.sessions(MODE)
    if not sessions:
        return []
    chains, _ = load_chains(chain_files(bank_dirs()))
    return past(sessions, store.attempts(), chains)
