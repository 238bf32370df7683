"""The `stiplan` command."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import warnings

# Exit codes of `stiplan run` (README, "Processing the inbox from a terminal").
EXIT_FAILED = 1  # software or warehouse failure: the plan was not published
EXIT_OUTPUTS_FAILED = 3  # the plan is published, its outputs could not be written
EXIT_BUSY = 75  # another writer kept the warehouse (EX_TEMPFAIL: try again later)


def _cmd_run(args: argparse.Namespace) -> int:
    from stiplan.assets.runtime.isolation import start_readers

    start_readers()  # warms up on the other core while Dagster is imported
    from rich.console import Console
    from rich.markup import escape

    from stiplan.run import Busy, RunFailed, plan_report, run_inbox
    from stiplan.schemas.warehouse import Paths

    console = Console(soft_wrap=True)  # never cut file names or reasons in logs
    p = Paths.from_environment()
    try:
        with console.status("Starting…") as status:

            def progress(text: str) -> None:
                status.update(escape(text))
                console.log(escape(text))

            summary = run_inbox(progress=progress, force=args.all, outputs=not args.no_outputs)
    except Busy as exc:
        console.print(
            f"[red]stiplan run: the warehouse {p.warehouse} is busy:[/red] "
            f"{escape(exc.holder)} has kept it for more than {exc.waited:.0f} s "
            f"({exc.path}). Nothing was changed; run again later, or set "
            "STIPLAN_LOCK_WAIT (seconds) to wait longer."
        )
        return EXIT_BUSY
    except RunFailed as exc:
        console.print(
            f"[red]stiplan run failed (software or warehouse):[/red]\n{escape(str(exc))}\n"
            f"The published plan {p.plan} is unchanged."
        )
        return EXIT_FAILED
    if summary.nothing_new:
        console.print("Nothing new in the inbox; the published plan is unchanged.")
    elif summary.failed_checks:
        console.print(
            "[red]The plan was NOT published: blocking checks failed: "
            f"{', '.join(summary.failed_checks)}[/red]"
        )
        return EXIT_FAILED
    else:
        _print_report(console, summary, plan_report())
        console.print(
            f"Published {p.plan}"
            + (
                f"; plan books, feedback and province extracts in {p.outputs}"
                if summary.outputs_written and not summary.outputs_error
                else ""
            )
        )
    if summary.nothing_new and summary.outputs_written and not summary.outputs_error:
        console.print(
            "Its plan books, feedback and province extracts had not been written "
            "from it (an earlier run was interrupted or skipped them); written now "
            f"in {p.outputs}."
        )
    if summary.outputs_error:
        console.print(
            f"[red]The plan is published ({p.plan}), but its plan books, feedback "
            f"and province extracts could not be written to {p.outputs}:[/red] "
            f"{escape(summary.outputs_error)}\nFree some space or fix the "
            "permission; the next stiplan run writes them."
        )
        return EXIT_OUTPUTS_FAILED
    if summary.outputs_stale:
        console.print(
            f"Note: the outputs in {p.outputs} are not up to date with the "
            "published plan; stiplan run without --no-outputs writes them."
        )
    return 0


def _print_report(console, summary, report: dict) -> None:
    from rich.markup import escape

    st = report["statuses"]
    n, total = report["projects"]
    console.print(
        f"New files: {summary.new_files}. Submissions: {st.get('current', 0)} current, "
        f"{st.get('superseded', 0)} superseded, {st.get('rejected', 0)} rejected."
    )
    for name, reason in report["rejected"]:
        console.print(f"  rejected [bold]{escape(name)}[/bold]: {escape(reason or '')}")
    oc = report["outcomes"]
    console.print(
        "Rows of current submissions: "
        + ", ".join(
            f"{oc.get(k, 0)} {k}" for k in ("accepted", "rejected", "duplicate", "total", "section")
        )
    )
    console.print(
        f"Plan: [bold]{n}[/bold] projects, [bold]{total:,.2f}[/bold] baht; "
        f"{report['candidates']} cross-agency duplicate candidate(s) to review."
    )


def _cmd_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stiplan.template import (
        UnknownAgency,
        current_fiscal_year_be,
        default_file_name,
        resolve_agency,
        write_template,
    )

    try:
        agency = resolve_agency(args.agency)
    except UnknownAgency as exc:
        print(f"stiplan template: {exc}", file=sys.stderr)
        return 2
    year = args.year if args.year is not None else current_fiscal_year_be()
    if not 2400 <= year <= 2700:
        print(
            f"stiplan template: --year {year} is not a Buddhist-era year (e.g. 2555)",
            file=sys.stderr,
        )
        return 2
    out = Path(args.out) if args.out else Path(default_file_name(agency.code, year))
    path = write_template(agency.code, year, out)
    print(path.absolute())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from stiplan.assets.ingest.registry import list_inbox
    from stiplan.demo import write_demo

    inbox = Path(args.inbox or os.environ.get("STIPLAN_INBOX", "inbox")).absolute()
    written = write_demo(inbox, seed=args.seed)
    print(f"Wrote {len(written)} sample submissions (fiscal year 2555) to {inbox}:")
    for path in written:
        print(f"  {path.name}")
    # what a run will read, by the inbox's one rule (lock files, hidden files and the
    # inbox's README.md are never read)
    others = [p.name for p in list_inbox(inbox) if p not in written]
    if others:
        print(f"Note: the inbox also holds {len(others)} other file(s), which will be read too.")
    hint = (
        ""
        if args.inbox is None or os.environ.get("STIPLAN_INBOX") == str(inbox)
        else (f"STIPLAN_INBOX={inbox} ")
    )
    print(f"Next: {hint}stiplan run")
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore")  # Dagster's beta notices are not for planners
    parser = argparse.ArgumentParser(prog="stiplan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="process everything in the inbox once and publish the plan")
    run.add_argument(
        "--all", action="store_true", help="re-read every agency even if nothing new arrived"
    )
    run.add_argument(
        "--no-outputs",
        action="store_true",
        help="publish the plan only; skip the plan books, feedback and extracts",
    )
    run.set_defaults(func=_cmd_run)
    tpl = sub.add_parser("template", help="write a blank submission workbook for one agency")
    tpl.add_argument(
        "agency", metavar="AGENCY", help="agency code (NSTDA) or Thai abbreviation or name (สวทช.)"
    )
    tpl.add_argument(
        "--year",
        type=int,
        default=None,
        metavar="BE",
        help="fiscal year in Buddhist era (default: the current fiscal year)",
    )
    tpl.add_argument(
        "--out",
        default=None,
        metavar="PATH",
        help="where to write it (default: AGENCY_BE.xlsx in this folder)",
    )
    tpl.set_defaults(func=_cmd_template)
    demo = sub.add_parser("demo", help="write a realistic sample inbox for fiscal year 2555")
    demo.add_argument(
        "--inbox",
        default=None,
        metavar="DIR",
        help="where to write (default: $STIPLAN_INBOX or inbox/)",
    )
    demo.add_argument("--seed", type=int, default=2555, help=argparse.SUPPRESS)
    demo.set_defaults(func=_cmd_demo)
    args = parser.parse_args(argv)
    return args.func(args)


def entry() -> None:
    """The console script. Once the command is done and its exit handlers have run,
    the process leaves without the interpreter's teardown: freeing every module and
    object Dagster, DuckDB and pandas loaded takes about a second and does nothing a
    planner would miss (files are closed and flushed by then)."""
    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
