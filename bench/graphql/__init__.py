"""IAFactory's GraphQL server side by side with PostGraphile v5, on the project's own database
and RLS policies (issue 10). On demand, never in CI:

    make bench ARGS=graphql            # python -m bench graphql [--rounds 3 --duration 10 ...]

1. A scratch database migrated by our migrations, seeded with 50 tenants x 200 projects x 5
   documents (seed.py); an operator's override lifts the seeded tenants' request rate and
   project quota. A copy of it with row-level security disabled (scratch.py).
2. The servers, each a real process (servers.py): `iafactory serve` in production mode with 1
   process and with --workers 2, the same on the copy without RLS, and PostGraphile v5 on
   Node 22 (postgraphile.mjs; npm installs it once under ~/.cache/iafactory-bench); with
   --three-trips also ours with its compiled reads in three round trips instead of one
   (IAFACTORY_PIPELINED_READS_POOL_SIZE=0: what the pipeline of db/pipeline.py saves).
3. Every compared operation (queries.py) must give every server the tenant's correct answer,
   the same on all; then SQL round trips per request are counted on the wire (wirecount.py).
4. Alternating rounds of `wrk -t2 -c16` (wrk.py, rotate.lua: the tokens of 8 tenants rotate),
   with the server's and PostgreSQL's CPU read around each run (cpu.py); then the tables, the
   ratios to v5 and the goals (report.py), and a py-spy profile of ours (profile.py).

Needs: wrk (apt-get install -y wrk), npm (first run), py-spy for the profile (optional).
"""
