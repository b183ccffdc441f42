"""Compiled execution of query documents on PostgreSQL.

A root field whose whole selection the compiler understands becomes ONE SQL statement that
returns the field's JSON text, built by PostgreSQL; the HTTP response splices that text in
as it is. Everything else (other root fields, mutations, subscriptions, any field the
compiler does not know, any argument that would raise an error) runs through the normal
Strawberry executor with the same answers: tests/graph/compiled holds the differential test.

    executor.py     a root field of a query -> its plan (compiled or fallback) -> RawJSON
    database.py     running a statement on psycopg, prepared, and logging it as Django does
    plan_cache.py   compiled statements, a bounded LRU keyed by document hash and shape
    compiler.py     a selection on User, Post, Notification and their connections -> SQL
    sql.py          JSON text of SQL values: ids, cursors and dates in this API's formats
    visibility.py   social/visibility.py's SQL fragments spliced into a statement: the
                    compiled path has no visibility rule of its own

The library internals it relies on are read in adapter modules only, listed in
docs/internals.md: graphql-core's executor hook in graph/internals.py (`RootFieldHook`,
`RootField`), Django's query log and psycopg's prepared statements in database.py.
"""
