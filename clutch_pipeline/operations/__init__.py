"""Operating runs: telling dead CLI runs from live ones, freeing what they hold, waiting for pools.

A run the CLI executes in its own process (``execute_in_process``) has no run launcher behind it, so
Dagster's run monitoring never checks it: if the process is killed, the run stays STARTED and keeps its
pool slots for ever. The CLI tags every run it launches with its process (``launcher_tags``); from
those tags ``fail_dead_runs`` tells a run whose process is gone, marks it failed and frees its slots.
"""
