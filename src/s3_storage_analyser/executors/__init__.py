"""Where the listing's key-range slices run: threads and processes here (``local``), or a Dask cluster (``dask``).

The engine (``listing.engine``) decides what to list and merges what comes back; an executor only runs
``SliceRunner.run`` somewhere and hands each result back once. Every executor keeps the same protocol
(``base.Executor``), so splitting, retries of refused credentials and the exact merge are written once.
"""
