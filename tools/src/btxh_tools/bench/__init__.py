"""``make bench``: each flow against its floor, measured alternately in the same run.

Every module here defines ``async def run(ctx: BenchContext) -> None`` and reports with
``report(...)``; ``python -m btxh_tools.bench [--only NAME]`` runs them all.
"""
