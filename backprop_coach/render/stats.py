"""Rich renderables for `backprop-coach stats`, including a calendar heatmap of practice days."""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from backprop_coach.practice.stats import Stats

WEEKS = 16
SHADES = [("·", "grey42"), ("▪", "green4"), ("■", "green3"), ("■", "bold bright_green")]


def render_heatmap(days: dict[str, int], today: date, weeks: int = WEEKS) -> RenderableType:
    """Weeks as columns, Monday to Sunday as rows, the last `weeks` weeks."""
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    peak = max(days.values(), default=0)
    lines = []
    for weekday, name in enumerate(("Mon", "", "Wed", "", "Fri", "", "Sun")):
        line = Text(f"{name:<4}", style="dim")
        for week in range(weeks):
            day = start + timedelta(days=7 * week + weekday)
            if day > today:
                line.append("  ")
                continue
            n = days.get(day.isoformat(), 0)
            level = 0 if n == 0 else 1 + min(2, int(3 * n / (peak + 1)))
            char, style = SHADES[level]
            line.append(char + " ", style=style)
        lines.append(line)
    legend = Text("     less ", style="dim")
    for char, style in SHADES:
        legend.append(char + " ", style=style)
    legend.append("more", style="dim")
    return Group(Text(f"practice days, last {weeks} weeks", style="bold"), *lines, legend)


def render_stats(stats: Stats, today: date) -> RenderableType:
    if stats.total_attempts == 0 and not stats.practice_days:
        return Text("no practice yet: start with backprop-coach quiz", style="dim")
    parts: list[RenderableType] = []
    summary = Text()
    summary.append(f"{stats.total_attempts} graded attempts", style="bold")
    summary.append(f" · streak {stats.streak_days} day{'s' if stats.streak_days != 1 else ''}")
    summary.append(f" · due now {stats.due_now} · due this week {stats.due_week}")
    parts.append(summary)
    table = Table(title="by topic", title_justify="left")
    table.add_column("topic")
    table.add_column("attempts", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("avg time", justify="right")
    for t in sorted(stats.topics, key=lambda t: t.accuracy):
        style = "red" if t.accuracy < 0.5 else "yellow" if t.accuracy < 0.8 else "green"
        table.add_row(
            t.topic,
            str(t.attempts),
            Text(f"{t.accuracy:.0%}", style=style),
            f"{t.avg_seconds:.0f} s",
        )
    parts.append(table)
    parts.append(render_heatmap(stats.practice_days, today))
    if stats.most_missed:
        missed = Table(title="most missed", title_justify="left")
        missed.add_column("question")
        missed.add_column("misses", justify="right")
        missed.add_column("note")
        for m in stats.most_missed:
            missed.add_row(
                m["id"], str(m["misses"]), Text("leech", style="bold red") if m["leech"] else ""
            )
        parts.append(missed)
    if stats.habits:
        parts.append(Text("your common mistakes", style="bold"))
        parts.extend(Text(f"  • {h.sentence}") for h in stats.habits)
    return Group(*parts)
