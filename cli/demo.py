"""What `voronka demo` prints: the logins to try and what was seeded."""

from __future__ import annotations

from models.demo.seed import DemoSummary


def render_summary(summary: DemoSummary) -> str:
    if summary.created:
        counts = ", ".join(f"{name}: {count}" for name, count in summary.counts.items())
        lines = ["Демо-данные созданы / Demo data created", f"  {counts}"]
    else:
        lines = [
            "Демо-данные уже есть, ничего не добавлено / Demo data already present, nothing added"
        ]
    lines.append(f"Логины / Logins (пароль / password: {summary.password}):")
    width = max((len(login) for login, _, _ in summary.logins), default=0)
    lines.extend(
        f"  {login:<{width}}  {role:<8} {office}" for login, role, office in summary.logins
    )
    return "\n".join(lines)
