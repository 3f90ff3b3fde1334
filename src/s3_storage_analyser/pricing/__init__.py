"""What storage costs: a price book (from a file, the AWS Price List API or the shipped table), the monthly
cost of a snapshot under it, and the savings a lifecycle rule would get.

Cost is a pure function of a snapshot and a price book: no AWS call in the arithmetic, exact decimals only,
and every result carries the sources (name and date) of the prices it used.
"""
