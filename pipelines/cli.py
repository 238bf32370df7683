"""The `stiplan` command."""

from __future__ import annotations

import argparse
import sys
import warnings


def _cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from stiplan.run import RunFailed, plan_report, run_inbox

    console = Console(soft_wrap=True)  # never cut file names or reasons in logs
    try:
        with console.status("Starting…") as status:
            def progress(text: str) -> None:
                status.update(text)
                console.log(text)

            summary = run_inbox(progress=progress, force=args.all)
    except RunFailed as exc:
        console.print(f"[red]stiplan run failed (software or warehouse):[/red]\n{exc}")
        return 1
    if summary.nothing_new:
        console.print("Nothing new in the inbox; the published plan is unchanged.")
        return 0
    if summary.failed_checks:
        console.print("[red]The plan was NOT published: blocking checks failed: "
                      f"{', '.join(summary.failed_checks)}[/red]")
        return 1
    report = plan_report()
    st = report["statuses"]
    n, total = report["projects"]
    console.print(f"New files: {summary.new_files}. Submissions: {st.get('current', 0)} current, "
                  f"{st.get('superseded', 0)} superseded, {st.get('rejected', 0)} rejected.")
    for name, reason in report["rejected"]:
        console.print(f"  rejected [bold]{name}[/bold]: {reason}")
    oc = report["outcomes"]
    console.print("Rows of current submissions: " + ", ".join(
        f"{oc.get(k, 0)} {k}" for k in ("accepted", "rejected", "duplicate", "total", "section")))
    console.print(f"Plan: [bold]{n}[/bold] projects, [bold]{total:,.2f}[/bold] baht; "
                  f"{report['candidates']} cross-agency duplicate candidate(s) to review.")
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore")  # Dagster's beta notices are not for planners
    parser = argparse.ArgumentParser(prog="stiplan", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="process everything in the inbox once and publish the plan")
    run.add_argument("--all", action="store_true",
                     help="re-read every agency even if nothing new arrived")
    run.set_defaults(func=_cmd_run)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
