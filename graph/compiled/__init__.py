"""Compiled execution of query documents on PostgreSQL.

A root field whose whole selection the compiler understands becomes ONE SQL statement that
returns the field's JSON text, built by PostgreSQL; the HTTP response splices that text in
as it is. Everything else (other root fields, mutations, subscriptions, any field the
compiler does not know, any argument that would raise an error) runs through the normal
Strawberry executor with the same answers: tests/graph/compiled holds the differential test.

    executor.py     the hook in graphql-core's executor (root fields only) and RawJSON
    plan_cache.py   compiled statements, a bounded LRU keyed by document hash and shape
    compiler.py     a selection on User, Post, Notification and their connections -> SQL
    sql.py          JSON text of SQL values: ids, cursors and dates in this API's formats
    visibility.py   the visibility rules as SQL, mirroring social/selectors (one place)

Library internals it relies on (pinned by tests/graph/test_compiled_switch.py): graphql-core
3.3.2's Executor.execute_field, collect_subfields and handle_field_error (graph/execution.py);
Django's connection.queries_log / queries_logged, so query counts and the DEBUG log see the
statements; psycopg's public prepare_threshold, which Django sets to None.
"""
