"""A compiled page's statement alone: its generic plan under EXPLAIN (ANALYZE, BUFFERS), and
its rate through pgbench, for a before/after of a change to the SQL.

    python -m bench.page_sql postgres://postgres@127.0.0.1:5432/social_compiled_bench \
        --pages home --explain --pgbench-seconds 10

The statement is the one the server runs (compiled in-process from bench/queries.py's page,
as bench/compiled_bench.py checks it). EXPLAIN runs it as the server does: PREPAREd with
its parameters, under `plan_cache_mode = force_generic_plan` (the one plan PostgreSQL keeps
for it: the page size is a literal), for the first viewer of the run, after 20 executions
of warm-up. pgbench runs it as compiled_bench does (`-M prepared`, a random viewer per
transaction, 20 connections).
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import common


def _prepared(logged_sql: str) -> tuple[str, list[Any]]:
    """A logged statement ("SQL -- {params}") as `$n` SQL and its values in order."""
    import datetime as datetime_module

    sql, _, params_text = logged_sql.rpartition(" -- ")
    params = eval(params_text, {"__builtins__": {}, "datetime": datetime_module})  # noqa: S307
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    text = re.sub(r"%\((p\d+)\)s", number, sql).replace("%%", "%")
    return text, [params[name] for name in names]


def explain(database: str, logged_sql: str, *, runs: int = 20) -> str:
    import psycopg
    from psycopg import sql as psql

    text, values = _prepared(logged_sql)
    # The compiled statement's own text (no value in it); EXECUTE's values as quoted literals.
    prepare = psql.SQL("PREPARE page AS ") + psql.SQL(text)  # type: ignore[arg-type]
    arguments = psql.SQL(", ").join(
        psql.Literal(v.isoformat() if isinstance(v, datetime) else v) for v in values
    )
    execute = psql.SQL("EXECUTE page ({})").format(arguments)
    explained = psql.SQL("EXPLAIN (ANALYZE, BUFFERS) ") + execute
    url = database.replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(prepare)
        for _ in range(runs):
            conn.execute(execute)
        rows = conn.execute(explained).fetchall()
    return "\n".join(str(row[0]) for row in rows)


def backend_cpu(database: str, logged_sql: str, viewers: list[int], runs: int) -> float:
    """PostgreSQL's CPU ms per execution of the statement, prepared once on one connection,
    for the viewers in turn (the backend's own CPU clock, /proc: the machine's other load
    moves it far less than it moves latency)."""
    import psycopg

    text, values = _prepared(logged_sql)
    viewer = values.index(viewers[0]) if viewers[0] in values else None
    ticks = os.sysconf("SC_CLK_TCK")
    url = database.replace("postgres://", "postgresql://")
    with psycopg.connect(url, autocommit=True, cursor_factory=psycopg.RawCursor) as conn:
        pid = conn.info.backend_pid
        stat = Path(f"/proc/{pid}/stat")

        def cpu() -> float:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        def once(i: int) -> None:
            args = list(values)
            if viewer is not None:
                args = [viewers[i % len(viewers)] if v == viewers[0] else v for v in args]
            conn.execute(text, args, prepare=True)  # type: ignore[arg-type]

        for i in range(50):
            once(i)
        started = cpu()
        for i in range(runs):
            once(i)
        return (cpu() - started) * 1000 / runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("--pages", default="home")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--pgbench-seconds", type=int, default=0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--print-sql", action="store_true")
    parser.add_argument("--cpu-runs", type=int, default=0)
    args = parser.parse_args(argv)
    common.setup_django(args.database)
    from bench.compiled_bench import (
        _in_process,
        _pages,
        _pgbench,
        _pgbench_script,
        _profile_username,
    )

    viewers = common.pick_viewers(200)
    tokens = common.mint_tokens(viewers[:1])
    pages = {k: v for k, v in _pages(_profile_username()).items() if k in args.pages.split(",")}
    checked = _in_process(pages, tokens[0])
    for name, found in checked.items():
        assert len(found["sql"]) == 1, (name, found["queries_compiled"])
        logged = found["sql"][0]
        if args.print_sql:
            print(f"-- {name}\n{logged}\n")
        if args.explain:
            print(f"-- {name}: EXPLAIN (ANALYZE, BUFFERS), generic plan, viewer {viewers[0]}")
            print(explain(args.database, logged))
        if args.cpu_runs:
            ms = backend_cpu(args.database, logged, viewers, args.cpu_runs)
            print(f"-- {name}: PostgreSQL CPU {ms:.3f} ms per execution ({args.cpu_runs} runs)")
        if args.pgbench_seconds:
            script = _pgbench_script(logged, viewers[0])
            figures = _pgbench(args.database, script, args.pgbench_seconds, args.connections)
            print(f"-- {name}: pgbench -M prepared, {args.connections} connections: {figures}")


if __name__ == "__main__":
    main()
